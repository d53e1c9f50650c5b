package plan

import (
	"mcusim/models"
)

// TensorArena is the whole tensor_arena a 32-bit TF Lite Micro build with the
// CMSIS-NN kernels (OPTIMIZED_KERNEL_DIR=cmsis_nn, DSP extension, no MVE) needs
// for the model: the non-persistent head (TFLM's GreedyMemoryPlanner plan of the
// activation tensors and the kernels' scratch requests, or the planner's own
// working memory while it plans, whichever is larger) plus the persistent
// section that grows down from the arena's end, each part with its source.
// Struct sizes are for ILP32 (pointers, int, size_t and enums are 4 bytes);
// sizes counted from struct members that we did not check against a compiled
// build are marked [UNVERIFIED] in the part's source.
type TensorArena struct {
	// Bytes is what to give tensor_arena (a multiple of 16; add 15 if the array
	// itself is not 16-byte aligned: MicroAllocator::Create aligns its start up).
	Bytes int    `json:"tensor_arena_bytes"`
	Build string `json:"build"`
	// Head is the non-persistent section's high-water mark; Persistent the
	// persistent section including alignment padding.
	Head       int         `json:"head_bytes"`
	Persistent int         `json:"persistent_bytes"`
	Parts      []ArenaPart `json:"parts"`
}

// ArenaPart is one item of the tensor arena: Count allocations of Bytes in all
// (alignment padding included for persistent parts).
type ArenaPart struct {
	Name    string `json:"name"`
	Section string `json:"section"` // "head" or "persistent"
	Count   int    `json:"count"`
	Bytes   int    `json:"bytes"`
	Source  string `json:"source"`
}

// TFLM 32-bit struct sizes (bytes) and where they come from.
const (
	// TfLiteEvalTensor {TfLitePtrUnion data; TfLiteIntArray* dims; TfLiteType type}
	// (tensorflow/lite/c/common.h).
	tflmEvalTensor = 12
	// NodeAndRegistration {TfLiteNode node; const TFLMRegistration* registration}
	// (micro_allocator.h); TfLiteNode under TF_LITE_STATIC_MEMORY holds inputs,
	// outputs, intermediates, user_data, builtin_data, custom_initial_data and
	// custom_initial_data_size: 7 words [UNVERIFIED member count].
	tflmNodeAndRegistration = 32
	// TfLiteTensor under TF_LITE_STATIC_MEMORY: type, data, dims, params
	// {scale, zero_point}, allocation_type, bytes, is_variable (padded),
	// quantization {type, params}, dims_signature: 11 words [UNVERIFIED].
	tflmTfLiteTensor = 44
	// TfLiteAffineQuantization {TfLiteFloatArray* scale; TfLiteIntArray*
	// zero_point; int32_t quantized_dimension} (common.h).
	tflmAffineQuantization = 12
	// AllocationInfo {size_t bytes; void** output_ptr; int first_created; int
	// last_used; int32_t offline_offset; bool needs_allocating}
	// (micro_allocation_info.h), one per tensor and scratch request, in the temp
	// section while the plan is made.
	tflmAllocationInfo = 24
	// GreedyMemoryPlanner::per_buffer_size(): BufferRequirements (4 ints) + two
	// sorted int arrays + ListEntry (3 ints) + the offset int
	// (greedy_memory_planner.h).
	tflmPlannerPerBuffer = 40
	// ScratchBufferRequest {size_t bytes; int node_idx} (micro_allocator.h), kept
	// in the head during Prepare.
	tflmScratchRequest = 8
	// ScratchBufferHandle {uint8_t* data} (micro_allocator.h).
	tflmScratchHandle = 4
)

// tflmAllocatorObjects are the objects MicroAllocator::Create and
// StartModelAllocation place in the arena's persistent section (micro_allocator.cc,
// single_arena_buffer_allocator.cc), sized by counting their members
// [UNVERIFIED member counts].
var tflmAllocatorObjects = []struct {
	name  string
	bytes int
}{
	{"SingleArenaBufferAllocator (vptr, buffer_head_, buffer_tail_, head_, tail_, temp_, temp_buffer_count_, resizable_buffer_allocated_)", 32},
	{"GreedyMemoryPlanner (vptr, 10 members)", 44},
	{"MicroAllocator (vptr, 8 members)", 36},
	{"SubgraphAllocations (node_and_registrations, tensors) for 1 subgraph", 8},
	{"MicroBuiltinDataAllocator (vptr, persistent allocator)", 8},
}

// tflmOpCosts are, per operator, the parsed builtin options (TfLite*Params in
// tensorflow/lite/core/c/builtin_op_data.h, allocated with alignof 4 by
// MicroBuiltinDataAllocator) and the kernel's OpData from Init (CMSIS-NN build:
// tensorflow/lite/micro/kernels/cmsis_nn/*.cc, else the reference kernel's;
// allocated through MicroContext::AllocatePersistentBuffer, so 16-aligned).
// Sizes counted from the struct members [UNVERIFIED].
var tflmOpCosts = map[models.OpKind]struct{ builtin, opData int }{
	models.Conv2D:          {28, 56}, // TfLiteConvParams (7 words); cmsis_nn OpData {OpDataConv (13 words), buffer_idx}
	models.DepthwiseConv2D: {28, 56}, // TfLiteDepthwiseConvParams (7 words); same OpData as conv
	models.FullyConnected:  {16, 36}, // TfLiteFullyConnectedParams; cmsis_nn OpData {OpDataFullyConnected (7 words), buffer_idx, 1 more}
	models.Add:             {8, 60},  // TfLiteAddParams; OpDataAdd (15 words)
	models.Mul:             {4, 36},  // TfLiteMulParams; OpDataMul (9 words)
	models.Pad:             {0, 56},  // no options; OpData {PadParams (13 words), output_zero_point}
	models.AveragePool:     {40, 36}, // TfLitePoolParams (6 words + padding values); cmsis_nn OpData {OpDataPooling (8 words), buffer_idx}
	models.MaxPool:         {40, 36}, // as AVERAGE_POOL_2D
	models.Mean:            {1, 40},  // TfLiteReducerParams {keep_dims}; OpDataReduce (10 words)
	models.Reshape:         {36, 0},  // TfLiteReshapeParams {shape[8], num_dimensions}; no OpData
	models.Softmax:         {4, 48},  // TfLiteSoftmaxParams {beta}; SoftmaxParams (double + 10 words)
	models.Concat:          {8, 24},  // TfLiteConcatenationParams; ConcatenationParams (6 words)
	models.ResizeNearest:   {2, 0},   // TfLiteResizeNearestNeighborParams (2 bools); no OpData
	models.Quantize:        {0, 28},  // no options; OpDataQuantizeReference (QuantizationParams 16 + 3 words)
	models.Dequantize:      {0, 28},  // no options; DequantizeOpData (DequantizationParams 16 + 3 words)
	models.Transpose:       {0, 0},   // no options, no OpData
}

// tflmScratch is the scratch buffer a CMSIS-NN (DSP, no MVE) kernel requests
// in Prepare through RequestScratchBufferInArena (0 = none), with its source.
func tflmScratch(g *models.Graph, op *models.Op) []int {
	in := g.In(op, 0)
	_, _, cin := in.HWC()
	k := op.KernelH * op.KernelW
	switch op.Kind {
	case models.Conv2D:
		// arm_convolve_wrapper_s8_get_buffer_size: a 1×1 kernel without padding
		// (arm_convolve_1x1_s8_fast / arm_convolve_1x1_s8) needs none; otherwise
		// arm_convolve_s8_get_buffer_size = 2 columns × rhs_cols (rounded up to
		// 4) × sizeof(int16) (the 2-column im2col).
		if k == 1 && op.Pad == (models.Padding{}) && op.DilationH <= 1 && op.DilationW <= 1 {
			return nil
		}
		return []int{2 * alignUp(k*cin, 4) * 2}
	case models.DepthwiseConv2D:
		// arm_depthwise_conv_wrapper_s8_get_buffer_size: multiplier 1 with a
		// 3×3 kernel and padding ≤ 1 takes arm_depthwise_conv_3x3_s8 (none);
		// other multiplier-1 cases arm_depthwise_conv_s8_opt: Cin × k² × int16;
		// a multiplier > 1 the generic arm_depthwise_conv_s8 (none).
		if op.DepthMultiplier > 1 || (op.KernelH == 3 && op.KernelW == 3 && op.Pad.Top <= 1 && op.Pad.Left <= 1 && op.Pad.Bottom <= 1 && op.Pad.Right <= 1) {
			return nil
		}
		return []int{cin * k * 2}
	case models.AveragePool:
		// arm_avgpool_s8_get_buffer_size (DSP, no MVE): Cin × sizeof(int32).
		return []int{cin * 4}
	case models.Mean:
		// reduce_common.cc PrepareMeanOrSumHelper: an int32 accumulator per
		// output element and an int per reduced axis.
		return []int{g.Out(op, 0).Elements() * 4, len(op.Axes) * 4}
	}
	return nil
}

// tflmTensorArena sizes the tensor_arena of a TFLM + CMSIS-NN build for g
// (TensorArena). The persistent allocations are simulated in the order TFLM
// makes them (MicroAllocator::Create, StartModelAllocation, kernel Init and
// Prepare, FinishModelAllocation, MicroInterpreter::AllocateTensors' input and
// output tensors), each aligned down from a 16-byte aligned end
// (SingleArenaBufferAllocator::AllocatePersistentBuffer).
func tflmTensorArena(g *models.Graph) *TensorArena {
	ta := &TensorArena{Build: "TF Lite Micro, 32-bit, CMSIS-NN kernels (OPTIMIZED_KERNEL_DIR=cmsis_nn, DSP, no MVE)"}
	tail := 0 // bytes used from the end, padding included
	alloc := func(size, align int) int {
		before := tail
		tail = alignUp(tail+size, align)
		return tail - before
	}
	part := func(name, section string, count, bytes int, source string) {
		ta.Parts = append(ta.Parts, ArenaPart{Name: name, Section: section, Count: count, Bytes: bytes, Source: source})
	}

	// Head: the plan of tensors and scratch requests (scratch requests are
	// appended after the tensors by AllocationInfoBuilder::AddScratchBuffers and
	// live over their operator only).
	bufs := tflmTensorBufs(g)
	nTensorBufs := len(bufs)
	tensorBytes := 0
	for _, b := range bufs {
		tensorBytes += b.size
	}
	nScratch, scratchBytes := 0, 0
	for i, op := range g.Ops {
		for _, s := range tflmScratch(g, op) {
			if s <= 0 {
				continue
			}
			bufs = append(bufs, tflmBuf{t: -1, size: alignUp(s, tflmAlignment), first: i, last: i})
			nScratch++
			scratchBytes += alignUp(s, tflmAlignment)
		}
	}
	plan := tflmGreedy(bufs)
	// While planning (MicroAllocator::CommitStaticMemoryPlan) the head holds the
	// scratch requests and the temp section the AllocationInfo array and the
	// planner's per-buffer arrays.
	planning := alignUp(nScratch*tflmScratchRequest, tflmAlignment) +
		alignUp(len(g.Tensors)*tflmAllocationInfo+nScratch*tflmAllocationInfo, tflmAlignment) +
		len(bufs)*tflmPlannerPerBuffer
	ta.Head = max(plan, planning)
	part("memory plan: activation tensors and kernel scratch (GreedyMemoryPlanner)", "head", len(bufs), plan,
		"greedy_memory_planner.cc over micro_allocation_info.cc lifetimes; each buffer aligned to 16 (micro_arena_constants.h)")
	part("  of which activation tensors (sum of sizes, before sharing)", "head", nTensorBufs, tensorBytes, "tensors without constant data")
	part("  of which CMSIS-NN scratch requests (sum of sizes, before sharing)", "head", nScratch, scratchBytes,
		"RequestScratchBufferInArena in cmsis_nn conv/depthwise_conv/pooling and reduce Prepare; sizes from CMSIS-NN *_get_buffer_size")
	part("planning working memory (temp; the head is the larger of this and the plan)", "head", len(bufs), planning,
		"ScratchBufferRequest 8 B each + AllocationInfo 24 B per tensor and request + GreedyMemoryPlanner 40 B per planned buffer [UNVERIFIED struct sizes]")

	objs := 0
	for _, o := range tflmAllocatorObjects {
		objs += alloc(o.bytes, 4)
	}
	part("allocator objects", "persistent", len(tflmAllocatorObjects), objs,
		"MicroAllocator::Create, SingleArenaBufferAllocator::Create, StartModelAllocation (micro_allocator.cc) [UNVERIFIED member counts]")
	part("NodeAndRegistration array", "persistent", len(g.Ops), alloc(tflmNodeAndRegistration*len(g.Ops), 4),
		"AllocateNodeAndRegistrations: 32 B per operator (TfLiteNode 28 + registration pointer) [UNVERIFIED TfLiteNode layout]")
	part("TfLiteEvalTensor array", "persistent", len(g.Tensors), alloc(tflmEvalTensor*len(g.Tensors), 4),
		"AllocateTfLiteEvalTensors: 12 B per tensor, constants included (common.h)")
	builtin, opData, perChannel, nBuiltin, nOpData, nPerChannel := 0, 0, 0, 0, 0, 0
	for _, op := range g.Ops {
		if c := tflmOpCosts[op.Kind]; c.builtin > 0 {
			builtin += alloc(c.builtin, 4)
			nBuiltin++
		}
	}
	for _, op := range g.Ops {
		if c := tflmOpCosts[op.Kind]; c.opData > 0 {
			opData += alloc(c.opData, tflmAlignment)
			nOpData++
		}
		if op.Kind == models.Conv2D || op.Kind == models.DepthwiseConv2D {
			// conv_common.cc / depthwise_conv_common.cc Prepare:
			// per_channel_output_multiplier and _shift, int32 per output channel.
			_, _, cout := g.Out(op, 0).HWC()
			perChannel += alloc(4*cout, tflmAlignment) + alloc(4*cout, tflmAlignment)
			nPerChannel += 2
		}
	}
	part("builtin options (TfLite*Params)", "persistent", nBuiltin, builtin,
		"PrepareNodeAndRegistrationDataFromFlatbuffer via MicroBuiltinDataAllocator; builtin_op_data.h [UNVERIFIED sizes]")
	part("kernel OpData (Init)", "persistent", nOpData, opData,
		"kernels/cmsis_nn/*.cc Init → AllocatePersistentBuffer, 16-aligned [UNVERIFIED sizes]")
	part("per-channel output multiplier and shift (conv, depthwise Prepare)", "persistent", nPerChannel, perChannel,
		"conv_common.cc, depthwise_conv_common.cc: 4 B per output channel each, 16-aligned")
	part("ScratchBufferHandle array", "persistent", nScratch, alloc(tflmScratchHandle*nScratch, 4),
		"MicroAllocator::FinishModelAllocation → AllocateScratchBufferHandles: 4 B each")
	io, nIO := 0, 0
	for _, ts := range [][]int{g.Inputs, g.Outputs} {
		io += alloc(4*len(ts), tflmAlignment) // TfLiteTensor* array
		for _, t := range ts {
			io += alloc(tflmTfLiteTensor, 4)
			if q := g.Tensors[t].Quant; q != nil {
				io += alloc(tflmAffineQuantization, 4) + alloc(4+4*len(q.ZeroPoint), 4)
			}
			nIO++
		}
	}
	part("persistent TfLiteTensors of inputs and outputs, with quantization", "persistent", nIO, io,
		"MicroInterpreter::AllocateTensors → AllocatePersistentTfLiteTensor: pointer array (16-aligned), TfLiteTensor 44 B [UNVERIFIED], TfLiteAffineQuantization 12 B + zero-point TfLiteIntArray 4+4n B (scales point into the flatbuffer on little-endian)")
	ta.Persistent = tail
	ta.Bytes = alignUp(ta.Head+ta.Persistent, tflmAlignment)
	return ta
}
