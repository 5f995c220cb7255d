/**
 * The descriptors this process holds, as /proc/self/fd lists them. The
 * listing's own descriptor is among them, already closed when it returns.
 */
import { readdirSync } from "node:fs"

/** Descriptors open in this process now (plus the listing's own); throws where /proc is not mounted. */
export const openDescriptors = (): ReadonlyArray<number> => readdirSync("/proc/self/fd").map(Number).filter(Number.isInteger)
