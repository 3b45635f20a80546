package kernel

import (
	"math"
	"slices"
)

// clone copies the slices so that a kernel never sees later changes to
// the caller's buffers.
func (e Epilogue) clone() Epilogue {
	e.Bias = slices.Clone(e.Bias)
	e.PreluAlpha = slices.Clone(e.PreluAlpha)
	return e
}

// one applies bias and activation to a single accumulator of channel c.
// It is the definition every fast path must match.
func (e *Epilogue) one(v float32, c int) float32 {
	if e.Bias != nil {
		v += e.Bias[c]
	}
	return e.act(v, c)
}

func (e *Epilogue) act(v float32, c int) float32 {
	switch e.Act {
	case ActRelu:
		if v < 0 {
			return 0
		}
	case ActRelu6:
		if v < 0 {
			return 0
		}
		if v > 6 {
			return 6
		}
	case ActLeakyRelu:
		if v < 0 {
			return e.Alpha * v
		}
	case ActPrelu:
		if v < 0 {
			return e.PreluAlpha[c] * v
		}
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-float64(v))))
	case ActTanh:
		return float32(math.Tanh(float64(v)))
	case ActElu:
		if v < 0 {
			return float32(math.Expm1(float64(v)))
		}
	}
	return v
}

// clampRange reports the [lo, hi] clamp that expresses the activation, when
// it is one (none, relu, relu6): vector code then fuses it as min/max.
func (e *Epilogue) clampRange() (lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch e.Act {
	case ActNone:
		return -inf, inf, true
	case ActRelu:
		return 0, inf, true
	case ActRelu6:
		return 0, 6, true
	}
	return -inf, inf, false
}

// rowAct applies the activation (not the bias) to row, whose first element
// has channel c0.
func (e *Epilogue) rowAct(row []float32, c0 int) {
	switch e.Act {
	case ActNone:
	case ActRelu:
		for i, v := range row {
			row[i] = max(v, 0)
		}
	case ActRelu6:
		for i, v := range row {
			row[i] = min(max(v, 0), 6)
		}
	case ActLeakyRelu:
		for i, v := range row {
			if v < 0 {
				row[i] = e.Alpha * v
			}
		}
	case ActPrelu:
		preluRow(row, e.PreluAlpha[c0:c0+len(row)])
	case ActSigmoid:
		sigmoidRow(row)
	case ActTanh:
		tanhRow(row)
	default:
		for i, v := range row {
			row[i] = e.act(v, c0+i)
		}
	}
}

// rowBiasAct applies bias and activation to row, whose first element has
// channel c0.
func (e *Epilogue) rowBiasAct(row []float32, c0 int) {
	if e.Bias != nil {
		b := e.Bias[c0 : c0+len(row)]
		for i := range row {
			row[i] += b[i]
		}
	}
	e.rowAct(row, c0)
}

// preluRowGo is the portable preluRow, and its tail. Scalar Go gains
// nothing from a branch-free select here (BenchmarkEpilogue): the vector
// version is the fix.
func preluRowGo(row, alpha []float32) {
	alpha = alpha[:len(row)]
	for i, v := range row {
		if v < 0 {
			row[i] = alpha[i] * v
		}
	}
}
