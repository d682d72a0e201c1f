// A bounded list that drops its oldest item when full: the status page's memory must not grow
// with uptime, however many requests a server answers.

export class Ring<T> {
  private readonly buffer: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.buffer.length;
  }

  push(item: T): void {
    if (this.buffer.length < this.capacity) {
      this.buffer.push(item);
      return;
    }
    this.buffer[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  items(): T[] {
    return [...this.buffer.slice(this.start), ...this.buffer.slice(0, this.start)];
  }

  last(): T | undefined {
    if (this.buffer.length === 0) return undefined;
    return this.buffer[(this.start + this.buffer.length - 1) % this.buffer.length];
  }
}
