//go:build purego || !(amd64 || arm64)

package vision

// archImpls: without assembly only the Go implementations exist.
func archImpls() []*Impl { return nil }
