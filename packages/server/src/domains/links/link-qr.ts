import { LRUCache } from 'lru-cache';
import QRCode from 'qrcode';
import type { QrCodeQuery } from '@switchboard/shared';

/** The image formats QR codes are served in. */
export type QrFormat = 'svg' | 'png';

/**
 * Draws QR codes of short URLs, keeping recent images: a QR code is printed once and
 * scanned many times, but its page is reloaded often, and a PNG costs milliseconds.
 */
export class QrRenderer {
  readonly #cache = new LRUCache<string, string | Buffer>({
    max: 512,
    maxSize: 32 * 1024 * 1024,
    sizeCalculation: (image) => image.length,
  });

  async render(text: string, format: QrFormat, options: QrCodeQuery): Promise<string | Buffer> {
    const key = `${format}\u0001${options.size}\u0001${options.margin}\u0001${options.dark}\u0001${options.light}\u0001${text}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const common = {
      errorCorrectionLevel: 'M' as const,
      width: options.size,
      margin: options.margin,
      color: { dark: `#${options.dark}`, light: `#${options.light}` },
    };
    const image =
      format === 'svg'
        ? await QRCode.toString(text, { ...common, type: 'svg' })
        : await QRCode.toBuffer(text, { ...common, type: 'png' });
    this.#cache.set(key, image);
    return image;
  }
}
