package models

import (
	"fmt"
	"math"
)

// ResidualVariance returns, for each target column d, the maximum-likelihood variance of
// a homoscedastic Gaussian around the predictions:
//
//	σ²_d = (1/N) Σ_i (y_id − ŷ_id)²,
//
// with pred (ŷ) and y both N rows of D values, N ≥ 1. A column whose residuals are all
// zero gets the smallest positive normal float64, so that the density stays finite.
func ResidualVariance(pred, y [][]float64) ([]float64, error) {
	if err := sameShape(pred, y); err != nil {
		return nil, err
	}
	v := make([]float64, len(y[0]))
	for i, row := range y {
		for d, t := range row {
			r := t - pred[i][d]
			v[d] += r * r
		}
	}
	for d := range v {
		v[d] /= float64(len(y))
		if !(v[d] > 0) {
			v[d] = 0x1p-1022
		}
	}
	return v, nil
}

// GaussianNLL returns the mean negative log-likelihood per row of y under independent
// Gaussians N(ŷ_id, σ²_d):
//
//	NLL = (1/N) Σ_i Σ_d [ ½ log(2π σ²_d) + (y_id − ŷ_id)² / (2σ²_d) ],
//
// with pred (ŷ) and y N rows of D values and variance the D values σ²_d > 0. It is the
// score of the homoscedastic baselines, in the same units as an MDN's NLL.
func GaussianNLL(pred, y [][]float64, variance []float64) (float64, error) {
	if err := sameShape(pred, y); err != nil {
		return 0, err
	}
	if len(variance) != len(y[0]) {
		return 0, fmt.Errorf("models: %d variances for %d target columns", len(variance), len(y[0]))
	}
	s := 0.0
	for i, row := range y {
		for d, t := range row {
			r := t - pred[i][d]
			s += 0.5*math.Log(2*math.Pi*variance[d]) + r*r/(2*variance[d])
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
