package gorgonia

import "gorgonia.org/tensor"

// The tensor pool is off for the whole process: see the package documentation.
func init() { tensor.DontUsePool() }
