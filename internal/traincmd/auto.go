package traincmd

import "strconv"

// autoInt and autoFloat are flags whose default is "auto": a value chosen from the size
// of the data (train.Scaled) unless a number is given.
type autoInt struct {
	v    int
	auto bool
}

func (a *autoInt) String() string {
	if a == nil || a.auto {
		return "auto"
	}
	return strconv.Itoa(a.v)
}

func (a *autoInt) Set(s string) error {
	if s == "auto" {
		a.auto = true
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return err // cli.FlagError words it ("not a whole number", "out of range")
	}
	a.v, a.auto = v, false
	return nil
}

type autoFloat struct {
	v    float64
	auto bool
}

func (a *autoFloat) String() string {
	if a == nil || a.auto {
		return "auto"
	}
	return strconv.FormatFloat(a.v, 'g', -1, 64)
}

func (a *autoFloat) Set(s string) error {
	if s == "auto" {
		a.auto = true
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	a.v, a.auto = v, false
	return nil
}

// Get makes the flags flag.Getters, so that cli.FlagError words a bad value by type.
func (a *autoInt) Get() any   { return a.v }
func (a *autoFloat) Get() any { return a.v }
