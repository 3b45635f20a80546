package nn

// lookupOp returns the plan-time preparation of a TensorFlow op, or nil when
// the runtime does not implement it. Placeholder, Const, NoOp, Switch and Merge
// are handled by the planner itself.
func lookupOp(op string) prepareFn {
	switch op {
	case "Identity", "StopGradient", "Snapshot":
		return prepareIdentity
	case "Add", "AddV2":
		return prepareBinary(binAdd)
	case "BiasAdd":
		return prepareBinary(binAdd)
	case "Sub":
		return prepareBinary(binSub)
	case "Mul":
		return prepareBinary(binMul)
	case "RealDiv", "Div":
		return prepareBinary(binDiv)
	case "Maximum":
		return prepareBinary(binMax)
	case "Minimum":
		return prepareBinary(binMin)
	case "FloorMod":
		return prepareBinary(binFloorMod)
	case "Equal":
		return prepareBinary(binEqual)
	case "Prelu":
		return prepareBinary(binPrelu)
	case "AddN":
		return prepareAddN
	case "Relu":
		return prepareUnary(unRelu)
	case "Relu6":
		return prepareUnary(unRelu6)
	case "Sigmoid":
		return prepareUnary(unSigmoid)
	case "Tanh":
		return prepareUnary(unTanh)
	case "Square":
		return prepareUnary(unSquare)
	case "Cast":
		return prepareCast
	case "Conv2D", "_FusedConv2D":
		return prepareConv2D
	case "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		return prepareDepthwise
	case "Conv2DBackpropInput":
		return prepareConvTranspose
	case "MatMul":
		return prepareMatMul
	case "MaxPool":
		return preparePool(true)
	case "AvgPool":
		return preparePool(false)
	case "ResizeBilinear":
		return prepareResizeBilinear
	case "SpaceToBatchND":
		return prepareSpaceToBatch
	case "BatchToSpaceND":
		return prepareBatchToSpace
	case "Mean":
		return prepareMean
	case "ConcatV2":
		return prepareConcat
	case "Pack":
		return preparePack
	case "Split":
		return prepareSplit
	case "SplitV":
		return prepareSplitV
	case "Slice":
		return prepareSlice
	case "StridedSlice":
		return prepareStridedSlice
	case "Squeeze":
		return prepareSqueeze
	case "Reshape":
		return prepareReshape
	case "Shape":
		return prepareShape
	case "BroadcastTo":
		return prepareBroadcastTo
	case "Pad":
		return preparePad
	}
	return nil
}

// knownOp reports whether the runtime can execute op.
func knownOp(op string) bool {
	switch op {
	case "Const", "Placeholder", "NoOp", "Switch", "Merge":
		return true
	}
	return lookupOp(op) != nil
}
