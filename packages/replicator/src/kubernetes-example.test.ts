import { readFileSync } from 'node:fs';
import { parseMirrorMakerProperties } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseReplicatorArgs } from './bin/replicator-args.js';
import { HTTP_ROUTES } from './http-server.js';

interface EnvVar {
  name: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  command: string[];
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  readinessProbe: { httpGet: { path: string; port: string | number } };
  livenessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { allowPrivilegeEscalation: boolean };
}
interface Resource {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas: number;
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
      };
    };
  };
}

const text = readFileSync(new URL('../deploy/kubernetes/mirrorkit-replicator.yaml', import.meta.url), 'utf8');
const documents = parseAllDocuments(text);
const resources = documents.map((d) => d.toJS() as Resource);
const byKind = (kind: string): Resource => {
  const found = resources.filter((r) => r.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Resource;
};

describe('deploy/kubernetes/mirrorkit-replicator.yaml', () => {
  it('is valid YAML holding one ConfigMap, Secret and Deployment', () => {
    for (const d of documents) expect(d.errors).toEqual([]);
    expect(resources.map((r) => r.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Secret']);
  });

  it('runs the sidecar the way its flags mean: probes on served routes, the port it listens on, the pod IP', () => {
    const deployment = byKind('Deployment');
    const pod = deployment.spec?.template;
    const container = pod?.spec.containers[0] as Container;
    expect(deployment.spec?.replicas).toBeGreaterThan(1);
    const args = parseReplicatorArgs(container.args);
    expect(args.httpHost).toBe('0.0.0.0');
    expect(args.config).toMatch(/\/mm2\.properties$/);
    const port = container.ports.find((p) => p.containerPort === args.httpPort);
    expect(port, 'a container port equal to --http-port').toBeDefined();
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(HTTP_ROUTES).toContain(probe.httpGet.path);
      expect([port?.name, port?.containerPort]).toContain(probe.httpGet.port);
    }
    expect(container.readinessProbe.httpGet.path).toBe('/healthz/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz/live');
    const annotations = pod?.metadata.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(annotations['prometheus.io/port'])).toBe(args.httpPort);
    expect(HTTP_ROUTES).toContain(annotations['prometheus.io/path']);
    // The kubelet's SIGKILL must come after the stop bound has had its say.
    expect((pod?.spec.terminationGracePeriodSeconds ?? 0) * 1000).toBeGreaterThan(args.stopTimeoutMs);
    expect(pod?.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod?.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
  });

  it("embeds an mm2.properties core parses, whose every env placeholder the container's env provides from the Secret", () => {
    const properties = byKind('ConfigMap').data?.['mm2.properties'] as string;
    const secret = byKind('Secret');
    const container = byKind('Deployment').spec?.template.spec.containers[0] as Container;
    const wanted = [...properties.matchAll(/\$\{env:([^}]*)\}/g)].map((m) => m[1] as string);
    expect(wanted.length).toBeGreaterThan(0);
    const provided = new Map(container.env.map((e) => [e.name, e]));
    for (const name of wanted) {
      const ref = provided.get(name)?.valueFrom?.secretKeyRef;
      expect(ref, name).toBeDefined();
      expect(ref?.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData ?? {})).toContain(ref?.key);
    }
    const env = Object.fromEntries(container.env.map((e) => [e.name, 'x']));
    const mm2 = parseMirrorMakerProperties(properties, { env });
    expect(mm2.flows.map((f) => `${f.source}->${f.target}`)).toEqual(['us-east->us-west']);
    expect(mm2.notes).toEqual([]);
    // No secret sits in the ConfigMap itself.
    expect(properties).not.toMatch(/password="[^$]/);
  });
});
