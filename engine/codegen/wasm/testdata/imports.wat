(module $imports
  (type (;0;) (func (param i32)))
  (type (;1;) (func (param i32) (result i32)))
  (import "host" "tick" (func $tick (type 0)))
  (import "arena" "memory" (memory (;0;) 1 1))
  (func $run (type 1) (param i32) (result i32)
    (local i32)
    local.get 0
    if  ;; label = @1
      loop  ;; label = @2
        local.get 1
        call $tick
        local.get 1
        i32.const 1
        i32.add
        local.tee 1
        local.get 0
        i32.lt_u
        br_if 0 (;@2;)
      end
    end
    i32.const 16
    i32.load8_u)
  (export "run" (func $run)))
