/**
 * A semaphore: at most `width` tasks at once (`enter` ... `leave`); the others wait their turn, in the order
 * they asked. A place that is free is taken at once, with no timer (a single-target run pays nothing for it).
 */
export class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(width: number) {
    this.free = width;
  }

  enter(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push(go));
  }

  /** Hands the place to the next in line, or frees it. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
