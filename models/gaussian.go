package models

import (
	"fmt"
	"math"
)

// ResidualStdDevs returns, for each target column d, the maximum-likelihood standard
// deviation of a homoscedastic Gaussian around the predictions:
//
//	σ_d = √((1/N) Σ_i (y_id − ŷ_id)²),
//
// with pred (ŷ) and y both N rows of D values, N ≥ 1. Residuals whose squares overflow or
// underflow (beyond about 1e±154) are summed divided by their largest magnitude and scaled
// back, so that σ_d is right at any scale. A column whose residuals are all zero gets the
// smallest positive normal float64, so that the density stays finite.
func ResidualStdDevs(pred, y [][]float64) ([]float64, error) {
	if err := sameShape(pred, y); err != nil {
		return nil, err
	}
	sd := make([]float64, len(y[0]))
	for d := range sd {
		for i, row := range y {
			r := row[d] - pred[i][d]
			sd[d] += r * r
		}
		sd[d] = math.Sqrt(sd[d] / float64(len(y)))
		if math.IsInf(sd[d], 0) || sd[d] < tinyStd {
			sd[d] = scaledRMS(len(y), func(i int) float64 { return y[i][d] - pred[i][d] })
		}
		if !(sd[d] > 0) {
			sd[d] = 0x1p-1022
		}
	}
	return sd, nil
}

// GaussianNLL returns the mean negative log-likelihood per row of y under independent
// Gaussians N(ŷ_id, σ²_d):
//
//	NLL = (1/N) Σ_i Σ_d [ log σ_d + ½ log 2π + ½ z²_id ],   z_id = (y_id − ŷ_id)/σ_d,
//
// with pred (ŷ) and y N rows of D values and std the D values σ_d > 0 (computed through
// z, never σ², so that it is right at any scale). It is the score of the homoscedastic
// baselines, in the same units as an MDN's NLL.
func GaussianNLL(pred, y [][]float64, std []float64) (float64, error) {
	if err := sameShape(pred, y); err != nil {
		return 0, err
	}
	if len(std) != len(y[0]) {
		return 0, fmt.Errorf("models: %d standard deviations for %d target columns", len(std), len(y[0]))
	}
	s := 0.0
	for i, row := range y {
		for d, t := range row {
			z := (t - pred[i][d]) / std[d]
			s += math.Log(std[d]) + 0.5*math.Log(2*math.Pi) + 0.5*z*z
		}
	}
	return s / float64(len(y)), nil
}

func sameShape(pred, y [][]float64) error {
	if len(y) == 0 {
		return fmt.Errorf("models: no rows")
	}
	if len(pred) != len(y) {
		return fmt.Errorf("models: %d predictions for %d rows", len(pred), len(y))
	}
	for i := range y {
		if len(pred[i]) != len(y[i]) || len(y[i]) != len(y[0]) {
			return fmt.Errorf("models: row %d has %d predicted and %d target values (want %d)", i, len(pred[i]), len(y[i]), len(y[0]))
		}
	}
	return nil
}
