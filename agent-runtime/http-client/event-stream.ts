/** One Server-Sent Event: its name (`message` when it has none) and its data lines joined by newlines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from text that arrives in pieces of any size (as
 * the WHATWG spec parses them, for what the gateway sends: `event:` and
 * `data:` fields, comments, CRLF or LF line ends). `push` returns the events
 * completed by the new text.
 */
export class EventStreamParser {
  #pending = '';
  #event = '';
  #data: string[] = [];

  push(text: string): ServerSentEvent[] {
    this.#pending += text;
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = this.#pending.search(/\r\n|\n|\r/);
      if (end < 0) break;
      const line = this.#pending.slice(0, end);
      const breakLength = this.#pending.startsWith('\r\n', end) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for the next piece.
      if (breakLength === 1 && this.#pending[end] === '\r' && end === this.#pending.length - 1) break;
      this.#pending = this.#pending.slice(end + breakLength);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): ServerSentEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const event = { event: this.#event || 'message', data: this.#data.join('\n') };
      this.#event = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return undefined;
  }
}
