//go:build !amd64 || kernel_pure_go

package kernel

// impls lists the implementations available: only portable Go here.
func impls() []*impl { return []*impl{goImpl} }

// bestImpl picks the fastest implementation: the portable one.
func bestImpl() *impl { return goImpl }
