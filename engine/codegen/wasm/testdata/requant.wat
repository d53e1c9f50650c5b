(module $requant
  (type (;0;) (func (param i32 i32) (result i32)))
  (type (;1;) (func (param i32 i32 i32) (result i32)))
  (func $mulhi (type 0) (param i32 i32) (result i32)
    local.get 0
    i64.extend_i32_s
    local.get 1
    i64.extend_i32_s
    i64.mul
    i64.const 1073741824
    i64.add
    i64.const 31
    i64.shr_s
    i32.wrap_i64)
  (func $clamp (type 1) (param i32 i32 i32) (result i32)
    global.get 0
    i64.const 1
    i64.add
    global.set 0
    local.get 0
    local.get 1
    i32.lt_s
    if (result i32)  ;; label = @1
      local.get 1
    else
      local.get 0
      local.get 2
      local.get 0
      local.get 2
      i32.le_s
      select
    end)
  (func $lane (type 0) (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.const 3
    i32.shl
    i32.shr_u
    i32.extend8_s)
  (global (;0;) (mut i64) (i64.const 0))
  (global (;1;) i32 (i32.const -128))
  (export "calls" (global 0))
  (export "zero_point" (global 1))
  (export "mulhi" (func $mulhi))
  (export "clamp" (func $clamp))
  (export "lane" (func $lane)))
