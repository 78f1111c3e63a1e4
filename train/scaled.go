package train

import "math"

// The constants of Scaled.
const (
	// ScaledMinVal is the fewest validation rows Scaled asks for when the data allow
	// (at most a quarter of the rows go to validation).
	ScaledMinVal = 20
	// ScaledMaxVal is the most validation rows Scaled asks for.
	ScaledMaxVal = 10000
	// ScaledSteps is the step budget of Scaled's runs of many rows.
	ScaledSteps = 20000
	// ScaledMaxEpochs bounds the epochs of Scaled's runs of few rows.
	ScaledMaxEpochs = 5000
	// ScaledWeightDecay is Scaled's WeightDecay λ up to ScaledDecayRows rows (see
	// ScaledDecay and Config.WeightDecay).
	ScaledWeightDecay = 2.0
	// ScaledDecayRows is the row count from which ScaledDecay lowers λ.
	ScaledDecayRows = 500
	// ScaledLearnRate is Scaled's initial learning rate.
	ScaledLearnRate = 0.003
	// ScaledMembers is the ensemble size ScaledEnsemble gives below ScaledEnsembleBelow rows.
	ScaledMembers = 10
	// ScaledEnsembleBelow is the row count from which ScaledEnsemble trains
	// ScaledPairMembers members.
	ScaledEnsembleBelow = 2000
	// ScaledPairMembers is the ensemble size ScaledEnsemble gives from ScaledEnsembleBelow
	// rows up to ScaledPairBelow.
	ScaledPairMembers = 2
	// ScaledPairBelow is the row count from which ScaledEnsemble trains one model.
	ScaledPairBelow = 20000
)

// Scaled returns training settings scaled to n rows (before the validation hold-out), the
// defaults of mixgraph's train command, so that 100 rows and a million rows both get a
// sensible run without tuning. Chosen on held-out data of real data sets (the README's
// accuracy table), they are:
//
//   - ValFraction: a tenth of the rows, raised to give at least ScaledMinVal rows (never
//     more than a quarter) and lowered to give at most ScaledMaxVal; none below 5 rows.
//   - BatchSize: 250 rows, or a hundredth of the training rows above 25,000 (at most 2048).
//   - Epochs: ScaledSteps steps' worth, at most ScaledMaxEpochs and at least 10 (early
//     stopping usually ends the run well before).
//   - Patience: a fifth of the epochs, at least 20 (early stopping on the validation NLL,
//     the best epoch's weights kept).
//   - WeightDecay: ScaledDecay(n), a prior on the weights whose pull fades as 1/N up to
//     ScaledDecayRows rows and as 1/N³ from there on.
//   - Adam at learning rate ScaledLearnRate with a cosine schedule.
func Scaled(n int) Config {
	c := Config{Solver: Adam, LearnRate: ScaledLearnRate, Schedule: CosineLR, WeightDecay: ScaledDecay(n)}
	c.ValFraction = ScaledValFraction(n)
	fit := n - int(math.Round(c.ValFraction*float64(n)))
	c.BatchSize = ScaledBatch(fit)
	c.Epochs = ScaledEpochs(fit, c.BatchSize)
	if c.ValFraction > 0 {
		c.Patience = ScaledPatience(c.Epochs)
	}
	return c
}

// ScaledValFraction is Scaled's validation fraction for n rows.
func ScaledValFraction(n int) float64 {
	if n < 5 {
		return 0
	}
	f := math.Max(0.1, math.Min(float64(ScaledMinVal)/float64(n), 0.25))
	return math.Min(f, float64(ScaledMaxVal)/float64(n))
}

// ScaledHidden returns the hidden widths of mixgraph's train command by default: three
// layers of 24 tanh units, which beat one layer of 24 on the inner split of all eight of
// the README's real data sets (with ScaledLearnRate; two layers of 24 lost on seven of
// eight) and take Bishop's problem from −1.124 to −1.153 (mean of seeds 1–5).
func ScaledHidden() []int { return []int{24, 24, 24} }

// ScaledDecay is Scaled's WeightDecay λ for n rows (before the validation hold-out):
// ScaledWeightDecay up to ScaledDecayRows rows, then ScaledWeightDecay·(ScaledDecayRows/n)²,
// so that the prior's pull λ/N fades as 1/N³: 0.5 at 1000 rows, 0.02 at 10,000. With few
// rows the prior keeps the network smooth; with many the data do, and a prior's pull
// costs the fit detail. (On an inner split of R's quakes data, 600 training rows, λ = 0.5
// gave a held-out NLL of 5.121 against 5.170 for λ = 2 and 5.146 for none; on Bishop's
// problem, 1000 rows, λ = 0.5 gave a test NLL of −1.153 against −1.147 for λ = 2; on
// MASS's nlschools, 1372 rows, λ made no difference; the six data sets of 133 to 442
// rows keep λ = 2.)
func ScaledDecay(n int) float64 {
	if n <= ScaledDecayRows {
		return ScaledWeightDecay
	}
	r := float64(ScaledDecayRows) / float64(n)
	return ScaledWeightDecay * r * r
}

// ScaledBatch is Scaled's batch size for fit training rows.
func ScaledBatch(fit int) int {
	if fit > 25000 {
		return min(2048, fit/100)
	}
	return 250
}

// ScaledEpochs is Scaled's number of epochs for fit training rows in batches of batch.
func ScaledEpochs(fit, batch int) int {
	batches := max(1, (fit+batch-1)/max(1, batch))
	return max(10, min(ScaledMaxEpochs, (ScaledSteps+batches-1)/batches))
}

// ScaledPatience is Scaled's patience for a run of epochs epochs.
func ScaledPatience(epochs int) int { return max(20, epochs/5) }

// ScaledK is the number of mixture components the train command uses by default for n
// rows (before the validation hold-out): 3 below 500 rows, where more components mostly
// fit noise, 5 from 500 and 10 from 1000 rows on. (On an inner split of R's quakes data,
// 600 training rows, K = 3 gave a held-out NLL of 5.33 against 5.23 for K = 5 and 10;
// on the README's six data sets of 133 to 442 rows K = 3 beats 5 and 10.)
func ScaledK(n int) int {
	switch {
	case n < 500:
		return 3
	case n < 1000:
		return 5
	}
	return 10
}

// ScaledEnsemble is the number of ensemble members (Ensemble) the train command trains by
// default for n rows (before the validation hold-out):
//
//   - ScaledMembers (10) below ScaledEnsembleBelow (2000) rows, where one model's fit
//     varies much with its seed and its validation rows are few: on Bishop's problem,
//     1000 rows, ten members with rotated validation give a test NLL of −1.153 against
//     −1.092 for one model (mean of seeds 1–5).
//   - ScaledPairMembers (2) from there up to ScaledPairBelow (20,000) rows. Two members,
//     each in one graph, train on two cores in about the time one model takes with its
//     step split over both (batches of 250 rows split in two gain little), and still
//     gain much: on MASS's nlschools with 2058 training rows (a tenth held out for test,
//     seeds 1–5) the test NLL goes from 3.307 for one model to 3.299 (ten members:
//     3.293), in 1.1 s against 1.5 s; on synthetic sets of 10,000 rows from 2.945 to
//     2.851 (100 inputs, 3 targets) and from 0.892 to 0.861 (8 inputs,
//     heteroscedastic), means of seeds 1–5.
//   - one model from there on, where a step's batch grows with the rows and a second
//     member would cost nearly a second run.
func ScaledEnsemble(n int) int {
	switch {
	case n < ScaledEnsembleBelow:
		return ScaledMembers
	case n < ScaledPairBelow:
		return ScaledPairMembers
	}
	return 1
}
