/**
 * The simulated table's model on its own: plain data and pure functions,
 * with time a number passed in. No Effect runs here.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { Pid } from "../../src/process/Pid.js"
import * as Simulated from "../../src/process/simulatedTable.js"

/** The table after a spawn the test expects to succeed. */
const spawned = (table: Simulated.Table, now: number, spec?: Simulated.SpawnSpec) => Either.getOrThrow(Simulated.spawn(table, now, spec))

describe("the simulated table's model", () => {
  it("a transition returns a new table and leaves the one it was given as it was", () => {
    const empty = Simulated.empty("boot-a")
    const [running, { pid }] = spawned(empty, 0, { behaviour: { fate: "Zombie" } })
    const exited = Simulated.exit(running, 10, pid)
    const reaped = Simulated.reap(exited, pid)
    expect([empty, running, exited].map((table) => Simulated.stateAt(table, 10, pid)._tag)).toEqual(["Gone", "Alive", "Zombie"])
    expect(Simulated.stateAt(reaped, 10, pid)._tag).toBe("Gone")
    expect(empty).toEqual(Simulated.empty("boot-a"))
  })

  it("a signal's exit is an instant on the table, not a timer: alive before it, gone from it on", () => {
    const [table, { pid }] = spawned(Simulated.empty("boot-a"), 0, { behaviour: { onSignal: { SIGTERM: Simulated.Reaction.exit("1500 millis") } } })
    const [signalled, sent] = Simulated.signal(table, 500, table.holders.get(pid)!, "SIGTERM")
    expect(sent).toBe("Sent")
    expect([1999, 2000].map((now) => Simulated.stateAt(signalled, now, pid)._tag)).toEqual(["Alive", "Gone"])
    expect(Simulated.signalsTo(signalled, pid)).toEqual([[500, "SIGTERM"]])
  })

  it("a check by identity signals nobody once the PID holds another process", () => {
    const [table, { pid }] = spawned(Simulated.empty("boot-a"), 0)
    const first = table.holders.get(pid)!
    const [reused] = Either.getOrThrow(Simulated.reuse(table, 10, pid))
    expect(Simulated.signalIfStillThere(reused, 20, first, "SIGKILL")).toEqual([reused, "Gone"])
    expect(Simulated.stateAt(reused, 20, pid)._tag).toBe("Alive")
  })

  it("refuses a PID that is taken, and a thread in no live process, with the reason", () => {
    const [table, { pid }] = spawned(Simulated.empty("boot-a"), 0)
    expect(Simulated.spawn(table, 0, { pid })).toEqual(Either.left(`ProcessesTest: PID ${pid} is taken`))
    expect(Simulated.spawnThread(table, 0, 999 as Pid)).toEqual(Either.left("ProcessesTest: no live process 999 to start a thread in"))
  })
})
