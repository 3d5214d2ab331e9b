import { describe, expect, it } from 'vitest';
import {
  copies,
  dockerignore,
  interpolation,
  parseDockerfile,
  parseNginxTemplate,
} from './parse.ts';

describe('dockerignore', () => {
  const ignored = dockerignore(
    [
      '# comment',
      '**/node_modules',
      '**/dist',
      '.git',
      '*.db',
      'e2e',
      '**/*.md',
      '!README.md',
    ].join('\n'),
  );

  it.each([
    ['node_modules', true],
    ['metric-generator/node_modules/x/index.js', true],
    ['metric-generator/dist/main.js', true],
    ['metric-generator/src/main.ts', false],
    ['metric-generator/', false],
    ['.git/HEAD', true],
    ['metrics.db', true],
    ['data/metrics.db', false],
    ['e2e/tests/a.spec.ts', true],
    ['docs/e2e', false],
    ['frontend/NOTES.md', true],
    ['README.md', false],
  ])('%s ignored: %s', (path, expected) => {
    expect(ignored(path)).toBe(expected);
  });
});

describe('parseDockerfile', () => {
  const text = [
    'ARG NODE_IMAGE=node:20.1.2-bookworm-slim',
    'FROM ${NODE_IMAGE} AS build',
    '# a comment',
    'RUN apt-get update \\',
    '    # comment inside a continuation',
    '    && apt-get install -y g++',
    'COPY package.json package-lock.json ./',
    'FROM ${NODE_IMAGE}',
    'COPY --from=build /app/dist dist/',
    'CMD ["node", "dist/main.js"]',
  ].join('\n');

  it('resolves global ARGs in FROM, joins continuations and names stages', () => {
    const file = parseDockerfile(text);
    expect(file.globalArgs).toEqual({ NODE_IMAGE: 'node:20.1.2-bookworm-slim' });
    expect(file.stages.map((s) => [s.image, s.name])).toEqual([
      ['node:20.1.2-bookworm-slim', 'build'],
      ['node:20.1.2-bookworm-slim', undefined],
    ]);
    expect(file.stages[0]!.instructions[0]).toMatchObject({
      keyword: 'RUN',
      args: 'apt-get update && apt-get install -y g++',
    });
  });

  it('reads COPY sources, destination and --from', () => {
    const [build, runtime] = parseDockerfile(text).stages;
    expect(copies(build!)).toMatchObject([
      { from: undefined, sources: ['package.json', 'package-lock.json'], destination: './' },
    ]);
    expect(copies(runtime!)).toMatchObject([
      { from: 'build', sources: ['/app/dist'], destination: 'dist/' },
    ]);
  });

  it('refuses an ARG without default in FROM and instructions before FROM', () => {
    expect(() => parseDockerfile('ARG X\nFROM ${X}')).toThrow(/ARG X has no default/);
    expect(() => parseDockerfile('RUN true\nFROM node:20.1.2')).toThrow(/before FROM/);
  });
});

describe('parseNginxTemplate', () => {
  it('reads upstreams whose server is a ${VAR}, and locations with their proxy_pass', () => {
    const parsed = parseNginxTemplate(
      [
        'upstream api {',
        '    server ${API_UPSTREAM};',
        '    keepalive 4;',
        '}',
        'server {',
        '    location = /healthz {',
        "        return 200 'ok';",
        '    }',
        '    location /api/ {',
        '        proxy_pass http://api;',
        '    }',
        '}',
      ].join('\n'),
    );
    expect([...parsed.upstreams]).toEqual([['api', ['${API_UPSTREAM}']]]);
    expect([...parsed.locations]).toEqual([
      ['= /healthz', undefined],
      ['/api/', 'api'],
    ]);
    expect(parsed.variables).toEqual(['API_UPSTREAM']);
  });
});

describe('interpolation', () => {
  it.each([
    ['${A:-5}', { name: 'A', fallback: '5' }],
    ['${A:-}', { name: 'A', fallback: '' }],
    ['${A}', { name: 'A', fallback: undefined }],
    ['3001', undefined],
  ])('%s', (value, expected) => {
    expect(interpolation(value)).toEqual(expected);
  });
});
