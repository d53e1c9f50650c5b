(module $sum_int8
  (type (;0;) (func (param i32 i32) (result i32)))
  (func $sum (type 0) (param i32 i32) (result i32)
    (local i32 i32)
    block  ;; label = @1
      loop  ;; label = @2
        local.get 2
        local.get 1
        i32.ge_u
        br_if 1 (;@1;)
        local.get 3
        local.get 0
        local.get 2
        i32.add
        i32.load8_s
        i32.add
        local.set 3
        local.get 2
        i32.const 1
        i32.add
        local.set 2
        br 0 (;@2;)
      end
    end
    local.get 3)
  (memory (;0;) 1 1)
  (export "memory" (memory 0))
  (export "sum" (func $sum)))
