// TextEncoder/TextDecoder (UTF-8 only, which is all tfjs uses) and atob/btoa.
'use strict';
{
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const s = String(input);
      const out = [];
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
          else c = 0xfffd;
        } else if (c >= 0xd800 && c <= 0xdfff) {
          c = 0xfffd;
        }
        if (c < 0x80) out.push(c);
        else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      return new Uint8Array(out);
    }
  }
  class TextDecoder {
    constructor(label = 'utf-8') {
      const l = String(label).toLowerCase();
      if (l !== 'utf-8' && l !== 'utf8') throw new RangeError(`TextDecoder: only utf-8 is supported, not ${label}`);
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      const bytes = input instanceof Uint8Array ? input
        : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
        : new Uint8Array(input);
      let s = '';
      const chunk = [];
      for (let i = 0; i < bytes.length;) {
        const b = bytes[i++];
        let c;
        if (b < 0x80) c = b;
        else if (b >= 0xc2 && b < 0xe0 && i < bytes.length) c = ((b & 31) << 6) | (bytes[i++] & 63);
        else if (b >= 0xe0 && b < 0xf0 && i + 1 < bytes.length) { c = ((b & 15) << 12) | ((bytes[i] & 63) << 6) | (bytes[i + 1] & 63); i += 2; }
        else if (b >= 0xf0 && b < 0xf5 && i + 2 < bytes.length) { c = ((b & 7) << 18) | ((bytes[i] & 63) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63); i += 3; }
        else c = 0xfffd;
        if (c > 0xffff) { c -= 0x10000; chunk.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); }
        else chunk.push(c);
        if (chunk.length > 8192) { s += String.fromCharCode.apply(null, chunk); chunk.length = 0; }
      }
      return s + String.fromCharCode.apply(null, chunk);
    }
  }
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const LOOKUP = new Int16Array(256).fill(-1);
  for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;
  const btoa = (input) => {
    const s = String(input);
    let out = '';
    for (let i = 0; i < s.length; i += 3) {
      const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
      if (a > 255 || b > 255 || c > 255) throw new Error('btoa: string contains characters outside Latin1');
      const n = (a << 16) | ((b || 0) << 8) | (c || 0);
      out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] +
             (i + 1 < s.length ? ALPHABET[(n >> 6) & 63] : '=') + (i + 2 < s.length ? ALPHABET[n & 63] : '=');
    }
    return out;
  };
  // Decodes base64 to bytes; shared by atob and fetch(data:).
  const base64ToBytes = (input) => {
    const s = String(input).replace(/[\t\n\f\r ]+/g, '').replace(/={1,2}$/, '');
    if (s.length % 4 === 1) throw new Error('base64: invalid length');
    const out = new Uint8Array((s.length * 3) >> 2);
    let bits = 0, value = 0, j = 0;
    for (let i = 0; i < s.length; i++) {
      const v = LOOKUP[s.charCodeAt(i)];
      if (v < 0) throw new Error(`base64: invalid character at ${i}`);
      value = (value << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out[j++] = (value >> bits) & 255; }
    }
    return out;
  };
  const atob = (input) => {
    const bytes = base64ToBytes(input);
    let s = '';
    for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return s;
  };
  globalThis.TextEncoder = TextEncoder;
  globalThis.TextDecoder = TextDecoder;
  globalThis.btoa = btoa;
  globalThis.atob = atob;
  Object.defineProperty(globalThis, '__tfjsRunBase64ToBytes', { value: base64ToBytes });
}
