package mdn

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/mixgraph/mixgraph/models"
)

// TestConfigLimits checks that Validate refuses every size beyond its limit with a
// message naming the field, the value and the limit.
func TestConfigLimits(t *testing.T) {
	wide := []int{MaxWidth, MaxWidth}
	// The largest config within the per-field limits, counted by hand.
	huge := Config{InputDim: MaxDim, OutputDim: MaxDim, K: MaxK, Hidden: wide}
	hugeCount := MaxDim*MaxWidth + MaxWidth + MaxWidth*MaxWidth + MaxWidth + MaxWidth*MaxK + MaxK + 2*(MaxWidth*MaxK*MaxDim+MaxK*MaxDim)
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{InputDim: 1, OutputDim: 1, K: 1000000000}, "mdn: K = 1000000000 components (at most MaxK = 1024)"},
		{Config{InputDim: 1, OutputDim: 1, K: MaxK + 1}, "mdn: K = 1025 components (at most MaxK = 1024)"},
		{Config{InputDim: MaxDim + 1, OutputDim: 1}, "mdn: input dimension 16385 (at most MaxDim = 16384)"},
		{Config{InputDim: 1, OutputDim: MaxDim + 1}, "mdn: output dimension 16385 (at most MaxDim = 16384)"},
		{Config{InputDim: 1, OutputDim: 1, Hidden: []int{8, 1000000000}}, "mdn: hidden layer 1 has width 1000000000 (at most MaxWidth = 65536)"},
		{Config{InputDim: 1, OutputDim: 1, Hidden: make([]int, MaxLayers+1)}, "mdn: 65 hidden layers (at most MaxLayers = 64)"},
		{huge, "mdn: the model would have " + strconv.Itoa(hugeCount) + " parameters (at most MaxParams = 33554432)"},
		// One input more than exactly MaxParams.
		{Config{InputDim: 1918, OutputDim: 2, K: 1, Hidden: []int{17449}}, "mdn: the model would have 33571881 parameters (at most MaxParams = 33554432)"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
	// Exactly MaxParams is allowed.
	atLimit := Config{InputDim: 1917, OutputDim: 2, K: 1, Hidden: []int{17449}}
	if n, err := atLimit.ParamCount(); err != nil || n != MaxParams {
		t.Fatalf("ParamCount(%+v) = %d, %v, want %d", atLimit, n, err, MaxParams)
	}
	if err := atLimit.Validate(); err != nil {
		t.Errorf("Validate at exactly MaxParams: %v", err)
	}
	// Each field at its limit passes.
	deep := Config{InputDim: 1, OutputDim: 1, K: 1, Hidden: make([]int, MaxLayers)}
	for i := range deep.Hidden {
		deep.Hidden[i] = 1
	}
	for _, cfg := range []Config{
		deep,
		{InputDim: MaxDim, OutputDim: 1, K: 1, Hidden: []int{1}},
		{InputDim: 1, OutputDim: MaxDim, K: 1, Hidden: []int{1}},
		{InputDim: 1, OutputDim: 1, K: MaxK, Hidden: []int{1}},
		{InputDim: 1, OutputDim: 1, K: 1, Hidden: []int{MaxWidth}},
	} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", cfg, err)
		}
	}
}

// TestValidateAllocatesLittle checks Validate refuses a huge config without allocating
// anything in proportion to it.
func TestValidateAllocatesLittle(t *testing.T) {
	cfg := Config{InputDim: MaxDim, OutputDim: MaxDim, K: MaxK, Hidden: []int{MaxWidth, MaxWidth}}
	allocs := testing.AllocsPerRun(20, func() {
		if cfg.Validate() == nil {
			t.Fatal("a huge config passed")
		}
	})
	if allocs > 10 {
		t.Errorf("Validate of a refused config made %g allocations, want at most 10", allocs)
	}
}

// TestParamCount checks ParamCount against the parameters New really makes, and the
// names and shapes Load expects (paramShapes) against New's.
func TestParamCount(t *testing.T) {
	cfgs := []Config{
		{InputDim: 1, OutputDim: 1},
		{InputDim: 1, OutputDim: 1, K: 3, Hidden: []int{8}},
		{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{7}},
		{InputDim: 5, OutputDim: 3, K: 1, Hidden: []int{2, 9, 4}, DType: models.Float32},
		{InputDim: 2, OutputDim: 4, K: 17, Hidden: []int{1}},
		{InputDim: 16, OutputDim: 90, K: 5, Hidden: []int{256, 256}},
		{InputDim: 300, OutputDim: 2, K: 1, Hidden: []int{4000}},
		{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{7}, Covariance: CovarianceFull},
		{InputDim: 2, OutputDim: 5, K: 3, Hidden: []int{6, 5}, Covariance: "FULL"},
		{InputDim: 3, OutputDim: 2, K: 4, Hidden: []int{7}, Skip: true},
		{InputDim: 4, OutputDim: 2, K: 6, Members: 3, Hidden: []int{9}, Skip: true, Covariance: CovarianceFull},
	}
	for _, cfg := range cfgs {
		n, err := cfg.ParamCount()
		if err != nil {
			t.Fatalf("ParamCount(%+v): %v", cfg, err)
		}
		m := testModel(t, cfg)
		if got := m.Params().Count(); got != n {
			t.Errorf("%+v: ParamCount %d, New made %d", cfg, n, got)
		}
		shapes := m.Config().paramShapes()
		list := m.Params().List()
		if len(shapes) != len(list) {
			t.Fatalf("%+v: paramShapes lists %d parameters, New made %d", cfg, len(shapes), len(list))
		}
		for i, p := range list {
			if s := p.Value.Shape(); p.Name != shapes[i].name || len(s) != 2 || s[0] != shapes[i].shape[0] || s[1] != shapes[i].shape[1] {
				t.Errorf("%+v: parameter %d is %s %v, paramShapes says %s %v", cfg, i, p.Name, s, shapes[i].name, shapes[i].shape)
			}
		}
	}
	if n, err := (Config{InputDim: 2}).ParamCount(); err == nil {
		t.Errorf("ParamCount of a config without an output dimension = %d, want an error", n)
	}
}

// TestParamCountOverflow checks that ParamCount reports a count beyond int instead of
// wrapping around, and counts exactly up to it.
func TestParamCountOverflow(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Skip("the counts below need 64-bit ints")
	}
	big := 4000000000
	cases := []Config{
		{InputDim: big, OutputDim: big, K: big, Hidden: []int{big}},
		{InputDim: 1, OutputDim: math.MaxInt, K: 2, Hidden: []int{1}},
		{InputDim: math.MaxInt, OutputDim: 1, K: 1, Hidden: []int{2}},
		{InputDim: 1, OutputDim: 1, K: 1, Hidden: []int{1 << 31, 1 << 31, 1 << 31, 1 << 31, 1 << 31, 1 << 31}},
	}
	for _, c := range cases {
		if n, err := c.ParamCount(); err == nil || err.Error() != "mdn: the model's parameter count does not fit in an int" {
			t.Errorf("ParamCount(%+v) = %d, %v, want an overflow error", c, n, err)
		}
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) passed", c)
		}
	}
	// 4e9 inputs into one hidden unit: counted exactly, refused by the limits.
	c := Config{InputDim: big, OutputDim: 1, K: 1, Hidden: []int{1}}
	n, err := c.ParamCount()
	if want := big + 1 + 2 + 2*2; err != nil || n != want {
		t.Errorf("ParamCount(%+v) = %d, %v, want %d", c, n, err, want)
	}
	c = Config{InputDim: 1000, OutputDim: 1000, K: 1000, Hidden: []int{1000000}}
	n, err = c.ParamCount()
	if want := 1000*1000000 + 1000000 + 1000000*1000 + 1000 + 2*(1000000*1000*1000+1000*1000); err != nil || n != want {
		t.Errorf("ParamCount(%+v) = %d, %v, want %d", c, n, err, want)
	}
}

// TestMaxParamsFitsFile checks the reasoning behind MaxParams: a value takes at most 25
// bytes of JSON (plus a comma), so MaxParams of them fit in a file Load accepts with
// room to spare.
func TestMaxParamsFitsFile(t *testing.T) {
	const maxValueBytes = 25
	for _, v := range []float64{-0.0000012345678901234567, -1.0000000000000002e-6, -1.2345678901234567e-100, -math.MaxFloat64, -math.SmallestNonzeroFloat64, -9.999999999999999e20, -1.2345678901234567e20} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxValueBytes {
			t.Errorf("%g takes %d bytes of JSON (%s), more than %d", v, len(b), b, maxValueBytes)
		}
	}
	if need := MaxParams * (maxValueBytes + 1); need > maxFileBytes*9/10 {
		t.Errorf("MaxParams values may take %d bytes, too close to the file limit %d", need, maxFileBytes)
	}
}
