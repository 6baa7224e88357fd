/**
 * The images a session has used, read once each: a test usually names the same files again and
 * again, and rig.inspect() recognises every one of them by content.
 */
import { loadUpdateImage, type UpdateImage } from '../scenario/update-image.js';

export interface ImageCache {
  /** A file read as the rig's scheme reads it, or an image already loaded (kept as it is). */
  get(image: string | UpdateImage): Promise<UpdateImage>;
  /** Every file this cache has been asked for. */
  files(): string[];
}

export function imageCache(scheme: string): ImageCache {
  const images = new Map<string, Promise<UpdateImage>>();
  return {
    get(image) {
      if (typeof image !== 'string') {
        if (!images.has(image.file)) images.set(image.file, Promise.resolve(image));
        return Promise.resolve(image);
      }
      let img = images.get(image);
      if (!img) images.set(image, (img = loadUpdateImage(image, scheme)));
      return img;
    },
    files: () => [...images.keys()],
  };
}
