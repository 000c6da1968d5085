import { useEffect, useState } from 'react';
import { describeError } from '../api/error-messages.js';
import { fetchQr, type QrFormat } from '../api/links.js';
import { useAnnounce } from './announcer.js';

/** Saves a blob under a file name through a temporary download link. */
function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has started from the URL; give the browser a moment before freeing it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const PREVIEW_SIZE = 256;
/** Big enough to print sharply on a poster; SVG scales anyway. */
const DOWNLOAD_SIZE = 1024;

/** A link's QR code, drawn by the server, with PNG and SVG downloads. */
export function QrPanel({ code, shortUrl }: { code: string; shortUrl: string }) {
  const [image, setImage] = useState<{ url: string } | { error: unknown } | null>(null);
  const [downloading, setDownloading] = useState<QrFormat | null>(null);
  const announce = useAnnounce();

  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | null = null;
    setImage(null);
    fetchQr(code, 'svg', PREVIEW_SIZE, controller.signal).then(
      (blob) => {
        objectUrl = URL.createObjectURL(blob);
        setImage({ url: objectUrl });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setImage({ error });
      },
    );
    return () => {
      controller.abort();
      if (objectUrl !== null) URL.revokeObjectURL(objectUrl);
    };
  }, [code]);

  const download = async (format: QrFormat) => {
    setDownloading(format);
    try {
      saveBlob(await fetchQr(code, format, DOWNLOAD_SIZE), `${code}-qr.${format}`);
      announce(`QR code downloaded as ${format.toUpperCase()}`, 'success');
    } catch (error) {
      announce(describeError(error), 'error');
    } finally {
      setDownloading(null);
    }
  };

  return (
    <div className="qr">
      <div className="qr__frame">
        {image === null ? (
          <span className="spinner" aria-label="Loading the QR code" role="img" />
        ) : 'url' in image ? (
          <img src={image.url} alt={`QR code that opens ${shortUrl}`} width={200} height={200} />
        ) : (
          <p className="qr__error" role="alert">
            {describeError(image.error)}
          </p>
        )}
      </div>
      <div className="qr__actions">
        <button
          type="button"
          className="button button--secondary"
          disabled={downloading !== null}
          onClick={() => void download('png')}
        >
          {downloading === 'png' ? 'Downloading…' : 'Download PNG'}
        </button>
        <button
          type="button"
          className="button button--secondary"
          disabled={downloading !== null}
          onClick={() => void download('svg')}
        >
          {downloading === 'svg' ? 'Downloading…' : 'Download SVG'}
        </button>
      </div>
    </div>
  );
}
