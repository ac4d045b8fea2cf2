/**
 * Runs `body` again and again while it asks for more, without nesting: `run()` called from inside
 * a running `body` (a synchronous answer that wants the next step at once) only marks that one
 * more round is wanted, and the outer call loops. Long synchronous chains (a fake session, a
 * synchronous policy) then keep the stack flat. Stops looping once `active()` is false.
 *
 * @example
 * const next = new Trampoline(() => sendNextStep(), () => !stopped);
 * next.run(); // from an answer callback too: it never recurses
 */
export class Trampoline {
  private looping = false;
  private again = false;

  constructor(
    private readonly body: () => void,
    private readonly active: () => boolean,
  ) {}

  run(): void {
    this.again = true;
    if (this.looping) return;
    this.looping = true;
    try {
      while (this.again && this.active()) {
        this.again = false;
        this.body();
      }
    } finally {
      this.looping = false;
    }
  }
}
