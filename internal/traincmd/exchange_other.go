//go:build !linux

package traincmd

import "errors"

// exchangeAtomic is not available here; exchange falls back to three renames.
func exchangeAtomic(a, b string) error { return errors.ErrUnsupported }
