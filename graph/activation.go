package graph

import (
	"fmt"
	"sort"
	"strings"

	G "gorgonia.org/gorgonia"
)

// Activation is an elementwise nonlinearity, named so that it can be stored in a config
// and a model file. The zero value is Identity.
type Activation string

// The activations Apply knows.
const (
	Identity Activation = "identity" // a
	Tanh     Activation = "tanh"     // tanh a
	ReLU     Activation = "relu"     // max(a, 0)
	Sigmoid  Activation = "sigmoid"  // 1 / (1 + e^(−a)), computed as exp(−softplus(−a))
	Softplus Activation = "softplus" // log(1 + e^a), computed as max(a,0) + log1p(e^(−|a|))
)

var activations = map[Activation]func(*G.Node) (*G.Node, error){
	Identity: func(x *G.Node) (*G.Node, error) { return x, nil },
	Tanh:     G.Tanh,
	ReLU:     G.Rectify,
	Sigmoid:  SigmoidOf,
	Softplus: SoftplusOf,
}

// Activations lists the names ParseActivation accepts, sorted.
func Activations() []string {
	names := make([]string, 0, len(activations))
	for a := range activations {
		names = append(names, string(a))
	}
	sort.Strings(names)
	return names
}

// ParseActivation returns the activation with the given name (case-insensitive); the
// empty string is Identity.
func ParseActivation(name string) (Activation, error) {
	a := Activation(strings.ToLower(strings.TrimSpace(name)))
	if a == "" {
		return Identity, nil
	}
	if _, ok := activations[a]; !ok {
		return "", fmt.Errorf("graph: unknown activation %q (want one of %s)", name, strings.Join(Activations(), ", "))
	}
	return a, nil
}

// Validate reports whether a is a known activation.
func (a Activation) Validate() error {
	_, err := ParseActivation(string(a))
	return err
}

// Apply returns the activation of x, elementwise.
func (a Activation) Apply(x *G.Node) (*G.Node, error) {
	if a == "" {
		a = Identity
	}
	f, ok := activations[a]
	if !ok {
		return nil, fmt.Errorf("graph: unknown activation %q", string(a))
	}
	return f(x)
}

// SoftplusOf returns log(1 + e^x) elementwise, computed as max(x, 0) + log1p(e^(−|x|)):
// no exponent is positive, so it neither overflows for large x nor loses the small
// e^x for very negative x. (Gorgonia's Softplus returns x itself above 16 and 0 below
// −708, a relative error of up to 1e-7.) Its derivative is the logistic sigmoid.
func SoftplusOf(x *G.Node) (*G.Node, error) {
	r, err := G.Rectify(x)
	if err != nil {
		return nil, err
	}
	a, err := G.Abs(x)
	if err != nil {
		return nil, err
	}
	na, err := G.Neg(a)
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(na)
	if err != nil {
		return nil, err
	}
	l, err := G.Log1p(e)
	if err != nil {
		return nil, err
	}
	return G.Add(r, l)
}

// SigmoidOf returns the logistic sigmoid 1/(1 + e^(−x)) elementwise, computed as
// exp(−softplus(−x)) with SoftplusOf, so that it is accurate to the last bits on the
// whole line. (Gorgonia's Sigmoid returns exactly 1 above 19 in float64 and above 15 in
// float32, an error of up to 6e-9 and 3e-7.)
func SigmoidOf(x *G.Node) (*G.Node, error) {
	nx, err := G.Neg(x)
	if err != nil {
		return nil, err
	}
	sp, err := SoftplusOf(nx)
	if err != nil {
		return nil, err
	}
	nsp, err := G.Neg(sp)
	if err != nil {
		return nil, err
	}
	return G.Exp(nsp)
}

// ELUPlusOne returns elu(x) + 1 elementwise: x + 1 for x > 0 and e^x for x ≤ 0, a
// positive, continuously differentiable map used for scales. It is computed as
// max(x, 0) + exp(−max(−x, 0)), whose derivative is 1 for x > 0 and e^x for x < 0.
func ELUPlusOne(x *G.Node) (*G.Node, error) {
	r, err := G.Rectify(x)
	if err != nil {
		return nil, err
	}
	nx, err := G.Neg(x)
	if err != nil {
		return nil, err
	}
	rn, err := G.Rectify(nx)
	if err != nil {
		return nil, err
	}
	nrn, err := G.Neg(rn)
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(nrn)
	if err != nil {
		return nil, err
	}
	return G.Add(r, e)
}
