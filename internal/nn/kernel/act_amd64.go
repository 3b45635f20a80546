//go:build amd64 && !kernel_pure_go

package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func preluAVX2(row, alpha *float32, n int)

// preluRow sets row[i] = alpha[i]*row[i] where row[i] is negative; alpha
// is at least as long as row.
func preluRow(row, alpha []float32) {
	n := 0
	if cpu.X86.HasAVX2 && len(row) >= 8 {
		n = len(row) &^ 7
		_ = alpha[n-1]
		preluAVX2(&row[0], &alpha[0], n)
	}
	preluRowGo(row[n:], alpha[n:])
}

//go:noescape
func sigmoidAVX2(row *float32, n int)

//go:noescape
func tanhAVX2(row *float32, n int)

// sigmoidRow sets row[i] = sigmoid(row[i]).
func sigmoidRow(row []float32) {
	n := 0
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && len(row) >= 8 {
		n = len(row) &^ 7
		sigmoidAVX2(&row[0], n)
	}
	for i, v := range row[n:] {
		row[n+i] = sigmoidf(v)
	}
}

// tanhRow sets row[i] = tanh(row[i]).
func tanhRow(row []float32) {
	n := 0
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && len(row) >= 8 {
		n = len(row) &^ 7
		tanhAVX2(&row[0], n)
	}
	for i, v := range row[n:] {
		row[n+i] = tanhf(v)
	}
}
