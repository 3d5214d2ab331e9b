// apache-md5 ships no types: `md5(password, salt?)` returns an `$apr1$` hash; given an existing
// hash as `salt`, it recomputes that hash for `password`.
declare module 'apache-md5' {
  export default function md5(password: string, salt?: string): string;
}
