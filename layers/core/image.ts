/** The parts of a container image reference, as the scope language's image.* attributes see them. */
export interface ImageReference {
  /** `docker.io` when the reference names no registry. */
  readonly registry: string;
  /** Repository path without the registry, e.g. `nginx` or `team/api`. */
  readonly name: string;
  /** `latest` when neither a tag nor a digest is given; undefined for digest-only references. */
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** Splits an image reference such as `123.dkr.ecr.eu-west-1.amazonaws.com/api:1.2@sha256:…`. */
export function parseImageReference(image: string): ImageReference {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry = 'docker.io';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    // Docker's rule: the first component is a registry when it looks like a host.
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/') && colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  } else if (digest === undefined) {
    tag = 'latest';
  }
  return { registry, name: rest, tag, digest };
}
