package mdn

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/mixgraph/mixgraph/graph"
	"github.com/mixgraph/mixgraph/losses"
)

// DType names the floating-point type a model computes in.
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
	return "", fmt.Errorf("mdn: unknown dtype %q (want float64 or float32)", s)
}

// Tensor returns the tensor dtype.
func (d DType) Tensor() tensor.Dtype {
	if d == Float32 {
		return tensor.Float32
	}
	return tensor.Float64
}

// Defaults used for zero Config fields.
const (
	DefaultK          = 5
	DefaultActivation = graph.Tanh
	DefaultScale      = losses.ScaleExp
)

// DefaultHidden is the hidden widths used when Config.Hidden is nil.
var DefaultHidden = []int{32, 32}

// Config describes an MDN. Zero fields take the documented defaults; InputDim and
// OutputDim are required.
type Config struct {
	InputDim  int `json:"input_dim"`  // width of x, ≥ 1
	OutputDim int `json:"output_dim"` // D, the width of y, ≥ 1
	K         int `json:"k"`          // mixture components; 0 means DefaultK (5)
	// Hidden are the hidden layers' widths; nil means DefaultHidden ([32 32]). At least
	// one hidden layer is required.
	Hidden []int `json:"hidden"`
	// Activation of the hidden layers; "" means tanh.
	Activation graph.Activation `json:"activation"`
	// Scale is the transform from raw outputs to standard deviations; "" means exp.
	Scale losses.Scale `json:"scale"`
	// VarianceFloor is added to every variance, in standardised target units
	// (σ² = t(s)² + floor); 0 means none.
	VarianceFloor float64 `json:"variance_floor"`
	// DType is the floating-point type; "" means float64.
	DType DType `json:"dtype"`
	// Seed seeds every random draw of the initial weights.
	Seed uint64 `json:"seed"`
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.K == 0 {
		c.K = DefaultK
	}
	if c.Hidden == nil {
		c.Hidden = append([]int(nil), DefaultHidden...)
	} else {
		c.Hidden = append([]int(nil), c.Hidden...)
	}
	if c.Activation == "" {
		c.Activation = DefaultActivation
	}
	if c.Scale == "" {
		c.Scale = DefaultScale
	}
	if c.DType == "" {
		c.DType = Float64
	}
	return c
}

// Validate reports the first thing wrong with c (after defaults are applied).
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.InputDim < 1 {
		return fmt.Errorf("mdn: input dimension %d (want at least 1)", c.InputDim)
	}
	if c.OutputDim < 1 {
		return fmt.Errorf("mdn: output dimension %d (want at least 1)", c.OutputDim)
	}
	if c.K < 1 {
		return fmt.Errorf("mdn: K = %d components (want at least 1)", c.K)
	}
	if len(c.Hidden) == 0 {
		return fmt.Errorf("mdn: no hidden layers (want at least one width)")
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("mdn: hidden layer %d has width %d (want at least 1)", i, h)
		}
	}
	if err := c.Activation.Validate(); err != nil {
		return fmt.Errorf("mdn: %w", err)
	}
	if _, err := losses.ParseScale(string(c.Scale)); err != nil {
		return fmt.Errorf("mdn: %w", err)
	}
	if math.IsNaN(c.VarianceFloor) || math.IsInf(c.VarianceFloor, 0) || c.VarianceFloor < 0 {
		return fmt.Errorf("mdn: variance floor %g (want a finite value ≥ 0)", c.VarianceFloor)
	}
	if _, err := ParseDType(string(c.DType)); err != nil {
		return err
	}
	return nil
}
