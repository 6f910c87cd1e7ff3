// fetch, limited on purpose: `data:` URLs and resources the bundle itself registered in
// `__tfjsRunResources` (a Map from URL to string/ArrayBuffer/typed array). Any other URL is
// refused, so a bundle cannot reach the network or the file system through it.
'use strict';
{
  const resources = new Map();
  Object.defineProperty(globalThis, '__tfjsRunResources', { value: resources });

  class Response {
    constructor(bytes, url, contentType) {
      this._bytes = bytes;
      this.url = url;
      this.ok = true;
      this.status = 200;
      this.statusText = 'OK';
      this.headers = new Map([['content-type', contentType]]);
      this.bodyUsed = false;
    }
    _take() {
      if (this.bodyUsed) return Promise.reject(new TypeError('fetch: body already used'));
      this.bodyUsed = true;
      return Promise.resolve(this._bytes);
    }
    arrayBuffer() {
      return this._take().then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    text() { return this._take().then((b) => new TextDecoder().decode(b)); }
    json() { return this.text().then(JSON.parse); }
    clone() { return new Response(this._bytes, this.url, this.headers.get('content-type')); }
  }

  const toBytes = (data) => {
    if (typeof data === 'string') return new TextEncoder().encode(data);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('fetch: a registered resource must be a string, ArrayBuffer or typed array');
  };

  const fromDataUrl = (url) => {
    const comma = url.indexOf(',');
    if (comma < 0) throw new TypeError('fetch: malformed data: URL');
    const meta = url.slice(5, comma);
    const payload = url.slice(comma + 1);
    const isBase64 = /;base64$/i.test(meta);
    const type = (isBase64 ? meta.slice(0, -7) : meta) || 'text/plain';
    const bytes = isBase64 ? __tfjsRunBase64ToBytes(payload) : new TextEncoder().encode(decodeURIComponent(payload));
    return new Response(bytes, url, type);
  };

  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    try {
      if (url.startsWith('data:')) return Promise.resolve(fromDataUrl(url));
      if (resources.has(url)) return Promise.resolve(new Response(toBytes(resources.get(url)), url, 'application/octet-stream'));
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.reject(new TypeError(
      `fetch: '${url.slice(0, 200)}' is not available: bundles may fetch only data: URLs and resources they embed`));
  };
  globalThis.Response = Response;
}
