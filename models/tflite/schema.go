package tflite

import "fmt"

// Field ids, enums and names below are transcribed from TensorFlow Lite's
// schema (tensorflow/lite/schema/schema.fbs, schema version 3). A field id is
// the field's declaration index in its table.

// Model (schema.fbs: table Model).
const (
	modelVersion       = 0 // uint
	modelOperatorCodes = 1 // [OperatorCode]
	modelSubgraphs     = 2 // [SubGraph]
	modelDescription   = 3 // string
	modelBuffers       = 4 // [Buffer]
)

// OperatorCode (schema.fbs: table OperatorCode). The effective builtin code is
// max(deprecated_builtin_code, builtin_code): old files fill only the int8
// field, new files fill both (the int8 one saturated at 127).
const (
	opcodeDeprecatedBuiltin = 0 // byte
	opcodeCustomCode        = 1 // string
	opcodeVersion           = 2 // int
	opcodeBuiltin           = 3 // BuiltinOperator (int32)
)

// SubGraph (schema.fbs: table SubGraph).
const (
	subgraphTensors   = 0 // [Tensor]
	subgraphInputs    = 1 // [int]
	subgraphOutputs   = 2 // [int]
	subgraphOperators = 3 // [Operator]
	subgraphName      = 4 // string
)

// Tensor (schema.fbs: table Tensor).
const (
	tensorShape        = 0 // [int]
	tensorType         = 1 // TensorType (byte)
	tensorBuffer       = 2 // uint
	tensorName         = 3 // string
	tensorQuantization = 4 // QuantizationParameters
)

// QuantizationParameters (schema.fbs: table QuantizationParameters).
const (
	quantMin       = 0 // [float]
	quantMax       = 1 // [float]
	quantScale     = 2 // [float]
	quantZeroPoint = 3 // [long]
	quantDetails   = 4 // union type (field 4) and value (field 5)
	quantDimension = 6 // int
)

// Buffer (schema.fbs: table Buffer). offset and size locate the data outside
// the flatbuffer, relative to the start of the file, in models larger than 2 GB;
// both are 0 or 1 when unused.
const (
	bufferData   = 0 // [ubyte]
	bufferOffset = 1 // ulong
	bufferSize   = 2 // ulong
)

// Operator (schema.fbs: table Operator).
const (
	operatorOpcodeIndex        = 0 // uint
	operatorInputs             = 1 // [int]
	operatorOutputs            = 2 // [int]
	operatorBuiltinOptionsType = 3 // BuiltinOptions union type (ubyte)
	operatorBuiltinOptions     = 4 // BuiltinOptions union value
)

// BuiltinOptions union members this importer reads (schema.fbs: union
// BuiltinOptions; the type value is the member's 1-based position).
const (
	optConv2D          = 1
	optDepthwiseConv2D = 2
	optPool2D          = 5
	optFullyConnected  = 8
	optConcatenation   = 10
	optAdd             = 11
	optMul             = 21
	optReducer         = 27
)

var optionNames = map[uint8]string{
	optConv2D: "Conv2DOptions", optDepthwiseConv2D: "DepthwiseConv2DOptions", optPool2D: "Pool2DOptions",
	optFullyConnected: "FullyConnectedOptions", optConcatenation: "ConcatenationOptions",
	optAdd: "AddOptions", optMul: "MulOptions", optReducer: "ReducerOptions",
}

// Field ids inside the builtin options tables (schema.fbs: Conv2DOptions,
// DepthwiseConv2DOptions, Pool2DOptions, FullyConnectedOptions, AddOptions,
// MulOptions, ConcatenationOptions, ReducerOptions).
const (
	convPadding   = 0 // Padding
	convStrideW   = 1 // int
	convStrideH   = 2 // int
	convAct       = 3 // ActivationFunctionType
	convDilationW = 4 // int = 1
	convDilationH = 5 // int = 1

	dwPadding    = 0
	dwStrideW    = 1
	dwStrideH    = 2
	dwMultiplier = 3 // int
	dwAct        = 4
	dwDilationW  = 5 // int = 1
	dwDilationH  = 6 // int = 1

	poolPadding = 0
	poolStrideW = 1
	poolStrideH = 2
	poolFilterW = 3 // int
	poolFilterH = 4 // int
	poolAct     = 5

	fcAct = 0 // FullyConnectedOptions.fused_activation_function

	addAct = 0 // AddOptions / MulOptions.fused_activation_function

	concatAxis = 0 // int
	concatAct  = 1

	reducerKeepDims = 0 // bool
)

// Padding (schema.fbs: enum Padding : byte).
const (
	paddingSame  = 0
	paddingValid = 1
)

// ActivationFunctionType (schema.fbs: enum ActivationFunctionType : byte).
var activationNames = []string{"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"}

func activationName(a int8) string {
	if a >= 0 && int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("ACTIVATION_%d", a)
}

// TensorType (schema.fbs: enum TensorType : byte).
var tensorTypeNames = []string{
	"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8",
	"FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16",
}

func tensorTypeName(t int8) string {
	if t >= 0 && int(t) < len(tensorTypeNames) {
		return tensorTypeNames[t]
	}
	return fmt.Sprintf("TYPE_%d", t)
}

// Builtin operator codes the importer maps (schema.fbs: enum BuiltinOperator).
const (
	opAdd                   = 0
	opAveragePool2D         = 1
	opConcatenation         = 2
	opConv2D                = 3
	opDepthwiseConv2D       = 4
	opDequantize            = 6
	opFullyConnected        = 9
	opMaxPool2D             = 17
	opMul                   = 18
	opReshape               = 22
	opSoftmax               = 25
	opCustom                = 32
	opPad                   = 34
	opTranspose             = 39
	opMean                  = 40
	opPadV2                 = 60
	opResizeNearestNeighbor = 97
	opQuantize              = 114
)

// builtinNames is enum BuiltinOperator of schema.fbs, indexed by code, up to
// RIGHT_SHIFT (161). Later codes (the StableHLO family) print as BUILTIN_<n>.
var builtinNames = []string{
	"ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", // 0-4
	"DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", // 5-9
	"HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", // 10-14
	"LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", // 15-19
	"RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", // 20-24
	"SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", // 25-29
	"SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD", // 30-34
	"UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", // 35-39
	"MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", // 40-44
	"STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", // 45-49
	"LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", // 50-54
	"MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", // 55-59
	"PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", // 60-64
	"SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", // 65-69
	"EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", // 70-74
	"SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", // 75-79
	"FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", // 80-84
	"ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", // 85-89
	"FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", // 90-94
	"FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", // 95-99
	"MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", // 100-104
	"REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", // 105-109
	"RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", // 110-114
	"MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", // 115-119
	"NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", // 120-124
	"SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", // 125-129
	"BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL", // 130-134
	"COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", // 135-139
	"REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", // 140-144
	"BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", // 145-149
	"GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", // 150-154
	"UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", // 155-159
	"BITWISE_XOR", "RIGHT_SHIFT", // 160-161
}

// builtinName returns the schema name of a builtin operator code.
func builtinName(code int32) string {
	if code >= 0 && int(code) < len(builtinNames) {
		return builtinNames[code]
	}
	return fmt.Sprintf("BUILTIN_%d", code)
}
