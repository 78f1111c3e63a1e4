# Writes the held-out accuracy data sets (see ../README.md) from R's datasets and MASS:
#   cd testdata/holdout && Rscript write.R
# Factors become their level numbers; rows with a missing value are dropped.
library(MASS)
w <- function(d, name) {
  d <- d[complete.cases(d), ]
  for (c in names(d)) d[[c]] <- as.numeric(d[[c]])
  write.csv(d, paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
}
w(Boston, "boston")
w(cpus[, c("syct", "mmin", "mmax", "cach", "chmin", "chmax", "perf")], "cpus")
w(birthwt[, c("age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt")], "birthwt")
w(crabs[, c("sp", "sex", "FL", "RW", "CL", "BD", "CW")], "crabs")
w(airquality[, c("Solar.R", "Wind", "Temp", "Ozone")], "airquality")
w(mtcars, "mtcars")
w(cars, "cars")
w(data.frame(Time = ChickWeight$Time, Diet = ChickWeight$Diet, weight = ChickWeight$weight), "chickweight")
w(as.data.frame(EuStockMarkets), "eustock")
w(cats, "cats")
w(attenu[, c("mag", "dist", "accel")], "attenu")
w(swiss, "swiss")
w(fgl[, c("Na", "Mg", "Al", "Si", "K", "Ca", "Ba", "Fe", "RI")], "fgl")
w(data.frame(duration = geyser$duration, waiting = geyser$waiting), "geyser")
w(Sitka[, c("Time", "treat", "size")], "sitka")
w(data.frame(body = mammals$body, brain = mammals$brain), "mammals")
w(data.frame(time = as.numeric(time(sunspot.month)), spots = as.numeric(sunspot.month)), "sunspots")
