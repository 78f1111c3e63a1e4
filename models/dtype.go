package models

import (
	"fmt"

	"gorgonia.org/tensor"
)

// DType names the floating-point type a model computes in: every model of this module
// (mdn and mlp) takes one in its Config.
type DType string

// The dtypes a model can use. The zero value is Float64.
const (
	Float64 DType = "float64"
	Float32 DType = "float32"
)

// ParseDType accepts "float64", "f64", "float32", "f32" and "" (Float64).
func ParseDType(s string) (DType, error) {
	switch s {
	case "", "float64", "f64":
		return Float64, nil
	case "float32", "f32":
		return Float32, nil
	}
	return "", fmt.Errorf("models: unknown dtype %q (want float64 or float32)", s)
}

// Tensor returns the tensor dtype.
func (d DType) Tensor() tensor.Dtype {
	if d == Float32 {
		return tensor.Float32
	}
	return tensor.Float64
}
