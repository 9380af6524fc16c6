/** A step of a README section, in the order a reader follows them. */
export type ReadmeStep =
  /** A fenced block whose first line is a comment naming the file: `// greeter/greeter.ts`. */
  | { kind: 'file'; path: string; text: string }
  /** A line of a `sh` block, without its trailing comment; `expected` is what the `# ` lines under it show. */
  | { kind: 'command'; line: string; expected?: string };

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm;
const FILE_HEADER = /^(?:\/\/|#)\s*([\w./-]+\.[a-z]+)\b/;

/**
 * The steps of the README section under `## <heading>`: its `sh` blocks as commands and its
 * other code blocks as files. A block that is neither is refused, so that the README cannot
 * grow a step the test does not follow.
 */
export function readmeSteps(markdown: string, heading: string): ReadmeStep[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`the README has no section "## ${heading}"`);
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/^#{2,3} /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const steps: ReadmeStep[] = [];
  for (const [, lang, body = ''] of section.matchAll(FENCE)) {
    if (lang === 'sh') {
      steps.push(...commands(body));
      continue;
    }
    const path = FILE_HEADER.exec(body)?.[1];
    if (!path) throw new Error(`a \`\`\`${lang} block under "${heading}" is not sh and names no file on its first line:\n${body}`);
    steps.push({ kind: 'file', path, text: body });
  }
  return steps;
}

function commands(body: string): ReadmeStep[] {
  const steps: { kind: 'command'; line: string; expected?: string }[] = [];
  for (const raw of body.split('\n')) {
    if (raw.trim() === '') continue;
    const shown = /^#(?: (.*))?$/.exec(raw);
    const last = steps.at(-1);
    if (shown && last) last.expected = last.expected === undefined ? (shown[1] ?? '') : `${last.expected}\n${shown[1] ?? ''}`;
    else if (!shown) steps.push({ kind: 'command', line: raw.replace(/\s+#\s.*$/, '').trim() });
  }
  return steps;
}
