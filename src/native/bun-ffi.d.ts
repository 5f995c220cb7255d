/** The part of Bun's `bun:ffi` that bunBinding.ts uses (the runtime provides the module; Node never loads it). */
declare module "bun:ffi" {
  type Pointer = number & { readonly __pointer: unique symbol }
  interface Signature {
    readonly args: ReadonlyArray<string>
    readonly returns: string
  }
  export function dlopen<Symbols extends Record<string, Signature>>(
    path: string,
    symbols: Symbols
  ): { readonly symbols: { readonly [K in keyof Symbols]: (...args: Array<any>) => any }; close(): void }
  export function ptr(view: ArrayBufferView): Pointer
  export const read: { i32(pointer: Pointer, offset: number): number }
}
