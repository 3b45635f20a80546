//go:build !amd64 || kernel_pure_go

package kernel

// Without vector loops the exported functions do everything in Go.

func addVec(dst, a, b []float32) int                  { return 0 }
func subVec(dst, a, b []float32) int                  { return 0 }
func mulVec(dst, a, b []float32) int                  { return 0 }
func clampVec(dst, src []float32, lo, hi float32) int { return 0 }

func lerpVec(dst, a, b []float32, f float32) int { return 0 }
