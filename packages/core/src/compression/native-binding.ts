import { createRequire } from 'node:module';
import { MirrorKitCompressionError } from './compression-error.js';
import type { CompressionCodecName } from './compression-type.js';

const requireFromHere = createRequire(import.meta.url);

// The codecs' bindings are native (napi-rs builds shipped as per-platform npm packages). They are
// loaded on first use, not at import, so a platform without a build still runs every topic that
// does not need that codec, and the one that does fails with an error that says why.
export function lazyBinding<T>(codec: CompressionCodecName, packageName: string): () => T {
  let binding: T | undefined;
  return () => {
    if (binding !== undefined) return binding;
    try {
      binding = requireFromHere(packageName) as T;
    } catch (error) {
      throw new MirrorKitCompressionError(
        'COMPRESSION_CODEC_UNAVAILABLE',
        codec,
        `${codec}: the native codec ${packageName} could not be loaded on ${process.platform}-${process.arch}: ${(error as Error).message.split('\n')[0]}`,
        { cause: error },
      );
    }
    return binding;
  };
}
