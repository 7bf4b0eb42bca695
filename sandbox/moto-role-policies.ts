// Reads a role's inline policies straight from moto (ListRolePolicies + GetRolePolicy), for the
// gateway's inline-policy quota check. The calls are fake-signed (see moto-query.ts) in the name of
// the caller whose PutRolePolicy is being judged, so moto answers for the caller's account; that
// works only while moto's own authentication is off (the default mode). With moto authenticating,
// the gateway reads the role from /moto-api/data.json instead (MotoDirectory.freshRole).

import { motoQuery } from './moto-query';

const IAM_VERSION = '2010-05-08';

/** Inline policies of `roleName` by name (documents as JSON text); undefined when there is no such role. */
export async function motoRoleInlinePolicies(
  motoEndpoint: string,
  callerAccessKeyId: string,
  roleName: string,
): Promise<Record<string, string> | undefined> {
  const ask = (params: Record<string, string>) => motoQuery(motoEndpoint, 'iam', callerAccessKeyId, { ...params, Version: IAM_VERSION });
  const list = await ask({ Action: 'ListRolePolicies', RoleName: roleName });
  if (list.status !== 200) {
    if (/<Code>NoSuchEntity<\/Code>/.test(list.text)) return undefined;
    throw new Error(`moto ListRolePolicies(${roleName}) answered HTTP ${list.status}`);
  }
  const namesXml = /<PolicyNames>([\s\S]*?)<\/PolicyNames>/.exec(list.text)?.[1] ?? '';
  const names = [...namesXml.matchAll(/<member>([^<]*)<\/member>/g)].map((m) => xmlDecode(m[1] ?? ''));
  const docs = await Promise.all(
    names.map(async (policyName) => {
      const got = await ask({ Action: 'GetRolePolicy', RoleName: roleName, PolicyName: policyName });
      // Deleted between the two calls: it no longer counts.
      if (got.status !== 200) return undefined;
      const doc = /<PolicyDocument>([^<]*)<\/PolicyDocument>/.exec(got.text)?.[1];
      return doc === undefined ? undefined : ([policyName, xmlDecode(doc)] as const);
    }),
  );
  return Object.fromEntries(docs.filter((d): d is readonly [string, string] => d !== undefined));
}

function xmlDecode(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
