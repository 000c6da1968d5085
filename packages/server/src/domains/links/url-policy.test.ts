import os from 'node:os';
import { AppError, URL_MAX_LENGTH } from '@switchboard/shared';
import { describe, expect, it } from 'vitest';
import {
  createUrlPolicy,
  normaliseBlockedDomain,
  parseBlocklist,
  type NetworkInterfaces,
} from './url-policy.js';

function policy(
  options: {
    publicUrl?: string;
    host?: string;
    blocklist?: string[];
    interfaces?: NetworkInterfaces;
  } = {},
) {
  return createUrlPolicy({
    publicUrl: new URL(options.publicUrl ?? 'https://sb.example'),
    listenHost: options.host ?? '0.0.0.0',
    blocklist: options.blocklist ?? [],
    networkInterfaces: () => options.interfaces ?? {},
  });
}

/** An interface as `os.networkInterfaces()` describes it. */
function address(text: string, internal = false): NonNullable<NetworkInterfaces[string]>[number] {
  return text.includes(':')
    ? {
        address: text,
        netmask: 'ffff:ffff:ffff:ffff::',
        family: 'IPv6',
        mac: '02:00:00:00:00:01',
        internal,
        cidr: `${text}/64`,
        scopeid: 0,
      }
    : {
        address: text,
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: '02:00:00:00:00:01',
        internal,
        cidr: `${text}/24`,
      };
}

/** A machine on a LAN: loopback, an IPv4 and two IPv6 addresses on eth0. */
const LAN_MACHINE: NetworkInterfaces = {
  lo: [address('127.0.0.1', true), address('::1', true)],
  eth0: [address('192.168.1.20'), address('fd00::20'), address('fe80::1:2:3:4')],
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe(createUrlPolicy.name, () => {
  it('accepts http and https URLs and returns their normalised form', () => {
    const p = policy();
    expect(p.normalise('https://example.com')).toBe('https://example.com/');
    expect(p.normalise('HTTP://EXAMPLE.com:80/a/../b?x=1#top')).toBe(
      'http://example.com/b?x=1#top',
    );
    expect(p.normalise('  https://example.com/padded  ')).toBe('https://example.com/padded');
  });

  it('normalises IDN hosts to punycode', () => {
    expect(policy().normalise('https://bücher.de/katalog')).toBe(
      'https://xn--bcher-kva.de/katalog',
    );
    expect(policy().normalise('https://例え.テスト/')).toBe('https://xn--r8jz45g.xn--zckzah/');
  });

  it('refuses what is not an absolute URL with INVALID_URL', () => {
    for (const url of ['', 'example.com', '/path', '//example.com/x', 'https://', 'http://[::1']) {
      expect(
        refusal(() => policy().normalise(url)),
        url,
      ).toBe('INVALID_URL');
    }
  });

  it('refuses other schemes with URL_SCHEME_NOT_ALLOWED', () => {
    for (const url of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'file:///etc/passwd',
      'ftp://example.com/',
      'mailto:a@example.com',
      'vbscript:msgbox',
    ]) {
      expect(
        refusal(() => policy().normalise(url)),
        url,
      ).toBe('URL_SCHEME_NOT_ALLOWED');
    }
  });

  it(`refuses URLs longer than ${URL_MAX_LENGTH} characters with URL_TOO_LONG`, () => {
    const base = 'https://example.com/';
    expect(policy().normalise(base + 'a'.repeat(URL_MAX_LENGTH - base.length))).toHaveLength(
      URL_MAX_LENGTH,
    );
    expect(refusal(() => policy().normalise(base + 'a'.repeat(URL_MAX_LENGTH)))).toBe(
      'URL_TOO_LONG',
    );
    // Short as typed, too long once percent-encoded.
    expect(refusal(() => policy().normalise(base + 'é'.repeat(URL_MAX_LENGTH / 2)))).toBe(
      'URL_TOO_LONG',
    );
  });

  it('refuses credentials with URL_HAS_CREDENTIALS', () => {
    expect(refusal(() => policy().normalise('https://user@example.com/'))).toBe(
      'URL_HAS_CREDENTIALS',
    );
    expect(refusal(() => policy().normalise('https://user:pw@example.com/'))).toBe(
      'URL_HAS_CREDENTIALS',
    );
    expect(refusal(() => policy().normalise('https://:pw@example.com/'))).toBe(
      'URL_HAS_CREDENTIALS',
    );
  });

  it("refuses the service's own host, whatever the port, case or trailing dot", () => {
    const p = policy({ publicUrl: 'https://sb.example' });
    for (const url of [
      'https://sb.example/abc',
      'http://SB.EXAMPLE:8080/abc',
      'https://sb.example./abc',
    ]) {
      expect(
        refusal(() => p.normalise(url)),
        url,
      ).toBe('URL_SELF_REFERENCE');
    }
    expect(p.normalise('https://www.sb.example/')).toBe('https://www.sb.example/');
    // Loopback names are someone else's machine when the service has a public name.
    expect(p.normalise('http://localhost:8080/')).toBe('http://localhost:8080/');
  });

  it('refuses every loopback spelling when the public URL is local', () => {
    const p = policy({ publicUrl: 'http://localhost:3000', host: '0.0.0.0' });
    for (const url of [
      'http://localhost/',
      'http://LOCALHOST:9999/',
      'http://app.localhost/',
      'http://127.0.0.1/',
      'http://127.1.2.3:80/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
    ]) {
      expect(
        refusal(() => p.normalise(url)),
        url,
      ).toBe('URL_SELF_REFERENCE');
    }
    expect(p.normalise('https://example.com/')).toBe('https://example.com/');
  });

  it('refuses the address it listens on when that names one machine', () => {
    const p = policy({
      publicUrl: 'https://sb.example',
      host: '10.1.2.3',
      interfaces: LAN_MACHINE,
    });
    expect(refusal(() => p.normalise('http://10.1.2.3:3000/'))).toBe('URL_SELF_REFERENCE');
    expect(refusal(() => p.normalise('http://[::ffff:10.1.2.3]/'))).toBe('URL_SELF_REFERENCE');
    expect(p.normalise('http://10.1.2.4/')).toBe('http://10.1.2.4/');
    // Listening on one address, it does not answer on the machine's others.
    expect(p.normalise('http://192.168.1.20:3000/')).toBe('http://192.168.1.20:3000/');
    const v6 = policy({ host: '0:0:0:0:0:0:0:fd00', interfaces: LAN_MACHINE });
    expect(refusal(() => v6.normalise('http://[::fd00]/'))).toBe('URL_SELF_REFERENCE');
  });

  it("refuses every address of the machine's interfaces, whatever the port, when it listens on a wildcard", () => {
    for (const host of ['0.0.0.0', '::']) {
      const p = policy({ publicUrl: 'https://sb.example', host, interfaces: LAN_MACHINE });
      for (const url of [
        'http://192.168.1.20:3000/',
        'http://192.168.1.20/',
        'https://192.168.1.20:8443/x',
        'http://3232235796:3000/',
        'http://[::ffff:192.168.1.20]:3000/',
        'http://[fd00::20]:3000/',
        'http://[FD00:0:0:0:0:0:0:20]/',
        'http://[fe80::1:2:3:4]:3000/',
      ]) {
        expect(
          refusal(() => p.normalise(url)),
          `${host} ${url}`,
        ).toBe('URL_SELF_REFERENCE');
      }
      // Loopback is every visitor's own machine: refused only when PUBLIC_URL is local.
      expect(p.normalise('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000/');
      expect(p.normalise('http://[::1]:3000/')).toBe('http://[::1]:3000/');
      expect(p.normalise('http://192.168.1.21:3000/')).toBe('http://192.168.1.21:3000/');
    }
  });

  it("reads the machine's own interfaces by default", () => {
    const p = createUrlPolicy({
      publicUrl: new URL('https://sb.example'),
      listenHost: '0.0.0.0',
      blocklist: [],
    });
    const own = Object.values(os.networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .filter((a) => !a.internal);
    // A machine with no network but loopback would check nothing here.
    expect(own.length).toBeGreaterThan(0);
    for (const { address: ip } of own) {
      const url = ip.includes(':') ? `http://[${ip}]:3000/` : `http://${ip}:3000/`;
      expect(
        refusal(() => p.normalise(url)),
        url,
      ).toBe('URL_SELF_REFERENCE');
    }
  });

  it('refuses blocked domains and their subdomains with URL_BLOCKED, and nothing else', () => {
    const p = policy({
      blocklist: ['bad.example', '*.worse.example', 'BÜCHER.example', '10.0.0.1', '2001:DB8::0:1'],
    });
    for (const url of [
      'https://bad.example/',
      'https://a.b.bad.example/',
      'https://BAD.example./',
      'https://worse.example/',
      'https://x.worse.example/',
      'https://bücher.example/',
      'https://www.xn--bcher-kva.example/',
      'http://10.0.0.1/',
      'http://[::ffff:10.0.0.1]/',
      'http://[2001:db8::1]/',
    ]) {
      expect(
        refusal(() => p.normalise(url)),
        url,
      ).toBe('URL_BLOCKED');
    }
    for (const url of [
      'https://notbad.example/',
      'https://bad.example.com/',
      'http://10.0.0.10/',
      'http://[2001:db8::10]/',
    ]) {
      expect(
        refusal(() => p.normalise(url)),
        url,
      ).toBe('accepted');
    }
  });

  it('refuses to start with a blocklist entry that is not a domain', () => {
    expect(() => policy({ blocklist: ['exa mple.com'] })).toThrow(/not a domain/);
  });
});

describe(parseBlocklist.name, () => {
  it('reads one domain per line, skipping comments and blank lines', () => {
    expect(parseBlocklist('# list\nbad.example\n\n  worse.example  # why\r\n#end')).toEqual([
      { line: 2, entry: 'bad.example' },
      { line: 4, entry: 'worse.example' },
    ]);
  });
});

describe(normaliseBlockedDomain.name, () => {
  it('lower-cases, converts IDN and drops wildcards and trailing dots', () => {
    expect(normaliseBlockedDomain('*.Example.COM.')).toBe('example.com');
    expect(normaliseBlockedDomain('.bücher.de')).toBe('xn--bcher-kva.de');
    expect(normaliseBlockedDomain('   ')).toBeNull();
  });

  it('writes addresses as targets spell them, with or without brackets for IPv6', () => {
    expect(normaliseBlockedDomain('2130706433')).toBe('127.0.0.1');
    expect(normaliseBlockedDomain('[0:0::1]')).toBe('[::1]');
    expect(normaliseBlockedDomain('2001:DB8::1')).toBe('[2001:db8::1]');
  });

  it('refuses what is not a domain or address instead of cutting it short', () => {
    for (const entry of [
      'exa mple.com',
      'https://bad.example',
      'bad.example/path',
      'bad.example:8080',
      'a.*.example',
      'user@bad.example',
      '[::1]:80',
      '[bad.example]',
      '::g',
      '999.1.1.1',
    ]) {
      expect(normaliseBlockedDomain(entry), entry).toBeNull();
    }
  });
});
