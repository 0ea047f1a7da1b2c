import { describe, expect, it } from 'vitest';
import { JournalFileAnalysisStore, MemoryAnalysisStore, type AppendOnlyTextFile } from './analysisStore';

class FakeFile implements AppendOnlyTextFile {
  text: string | null = null;
  async read() {
    return this.text;
  }
  async append(text: string) {
    this.text = (this.text ?? '') + text;
  }
}

describe('analysis stores', () => {
  it('keeps runs apart and forgets a cleared run', async () => {
    const store = new MemoryAnalysisStore();
    await store.save('run-a', 'x', 1);
    await store.save('run-b', 'x', 2);
    expect((await store.load('run-a')).get('x')).toBe(1);
    await store.clear('run-a');
    expect((await store.load('run-a')).size).toBe(0);
    expect((await store.load('run-b')).get('x')).toBe(2);
  });

  it('replays a journal file in a new store, as after a restart, skipping a torn last line', async () => {
    const file = new FakeFile();
    const first = new JournalFileAnalysisStore(file);
    await Promise.all([first.save('run', 'a', 0.5), first.save('run', 'b', { ranges: [1, 2] }), first.save('other', 'a', 3)]);
    await first.clear('other');
    await first.save('run', 'a', 0.25);
    file.text = `${file.text ?? ''}{"run":"run","key":"c","val`;
    const second = new JournalFileAnalysisStore(file);
    const entries = await second.load('run');
    expect(Object.fromEntries(entries)).toEqual({ a: 0.25, b: { ranges: [1, 2] } });
    expect((await second.load('other')).size).toBe(0);
    expect(file.text!.split('\n').filter((line) => line.startsWith('{"run"')).length).toBe(6);
  });
});
