// Summarises a V8 .cpuprofile (node --cpu-prof) by module: where a process's CPU time goes.
// A module is a package under node_modules, a folder of the project's src/, a Node.js internal
// area, or one of V8's own buckets (garbage collector, program; idle is left out). Native code
// (a frame without a script, e.g. a socket write) counts for the module of the JS that called it.
// `callers` answers "which package or part of src/ made this CPU be spent": every sample counts
// for the nearest frame, up the stack, that is neither Node.js nor native nor V8's.
import { readFile } from 'node:fs/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled CPU, idle excluded, in ms. */
  totalMs: number;
  /** Self time by module. */
  modules: Array<{ module: string; ms: number; share: number }>;
  /** Self time by function (`name file:line`). */
  functions: Array<{ fn: string; module: string; ms: number; share: number }>;
  /** Self time of each sample given to the nearest package or src/ module up its stack. */
  callers: Array<{ module: string; ms: number; share: number }>;
}

export const NATIVE = '(native)';

export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : NATIVE;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const [scope = '', name = ''] = url.slice(nm + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) {
    // node:internal/deps/undici/undici → node:undici, node:internal/http2/core → node:http2.
    const path = url
      .slice('node:'.length)
      .replace(/^internal\//, '')
      .replace(/^deps\//, '');
    return `node:${path.split('/')[0]}`;
  }
  const src = url.lastIndexOf('/src/');
  if (src >= 0) {
    // src/op/provider.ts → src/op; src/app.ts stays itself.
    return url
      .slice(src + 1)
      .split('/')
      .slice(0, 2)
      .join('/');
  }
  return url.replace(/^file:\/\//, '');
}

/** Node.js itself, native code, V8's buckets: not a caller that explains where time goes. */
const runtime = (module: string) => module.startsWith('node:') || module.startsWith('(');

/**
 * Self time by module, by function and by calling module, idle left out. `skipMs`: samples taken
 * in the first ms of the profile (a process's start-up, which --cpu-prof cannot leave out) are not
 * counted.
 */
export function summarise(profile: CpuProfile, top = 15, skipMs = 0): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    at += us;
    if (at < skipMs * 1000) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  });

  const ownModule = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    return frame ? moduleOf(frame.url, frame.functionName) : NATIVE;
  };
  /** The first module up the stack (this frame included) that `accept` takes, else `fallback`. */
  const upTo = (id: number, accept: (module: string) => boolean, fallback: string): string => {
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const module = ownModule(current);
      if (accept(module)) return module;
    }
    return fallback;
  };

  const modules = new Map<string, number>();
  const callers = new Map<string, number>();
  const functions = new Map<string, { module: string; us: number }>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const own = ownModule(id);
    // Native code belongs to the JS that called it; V8's own buckets stay themselves.
    const module = own === NATIVE ? upTo(id, (m) => m !== NATIVE && !m.startsWith('('), NATIVE) : own;
    const caller = own.startsWith('(') && own !== NATIVE ? own : upTo(id, (m) => !runtime(m), module);
    total += us;
    add(modules, module, us);
    add(callers, caller, us);
    const file = frame.url.split('/').pop() ?? '';
    const fn = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    const entry = functions.get(fn) ?? { module, us: 0 };
    entry.us += us;
    functions.set(fn, entry);
  }
  const ms = (us: number) => Number((us / 1000).toFixed(1));
  const share = (us: number) => Number(((100 * us) / (total || 1)).toFixed(1));
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, ms: ms(us), share: share(us) }));
  return {
    totalMs: ms(total),
    modules: ranked(modules),
    functions: [...functions]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, { module, us }]) => ({ fn, module, ms: ms(us), share: share(us) })),
    callers: ranked(callers),
  };
}

export async function summariseFile(path: string, top?: number, skipMs?: number): Promise<ProfileSummary> {
  return summarise(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top, skipMs);
}

if (import.meta.main) {
  const [path, top, skip] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: node bench/profile.ts <file.cpuprofile> [top] [skip start-up ms]\n');
    process.exit(2);
  }
  const summary = await summariseFile(path, Number(top ?? 25), Number(skip ?? 0));
  process.stdout.write(`sampled CPU: ${summary.totalMs} ms\n\n| module | ms | % |\n|---|---|---|\n`);
  for (const m of summary.modules) process.stdout.write(`| ${m.module} | ${m.ms} | ${m.share} |\n`);
  process.stdout.write('\n| function | module | ms | % |\n|---|---|---|---|\n');
  for (const f of summary.functions)
    process.stdout.write(`| ${f.fn} | ${f.module} | ${f.ms} | ${f.share} |\n`);
  process.stdout.write('\n| caller (package or src/) | ms | % |\n|---|---|---|\n');
  for (const c of summary.callers) process.stdout.write(`| ${c.module} | ${c.ms} | ${c.share} |\n`);
}
