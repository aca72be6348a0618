/** Controls of the product's container runtime policies that Vigil enforces at admission (pod specs). */
import { unique, type Json, type Source } from './source.js';

/** Capabilities container runtimes grant by default: the product removed them from containers, Vigil cannot. */
const defaultCapabilities = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

/** The product's display name for the public registry, and the host Vigil matches images against. */
const registryDisplayNames: Readonly<Record<string, string>> = { 'docker hub': 'docker.io' };

/** A registry entry Vigil can match: a host name (with dots, a port or wildcards), not a display name like "ECR prod". */
function isRegistryHost(entry: string): boolean {
  return entry !== '' && !/\s/.test(entry) && (entry.includes('.') || entry.includes(':') || entry.includes('*') || entry === 'localhost');
}

export function readContainerControls(source: Source, controls: Json, applies: (key: string) => boolean): void {
  if (applies('blockContainerExec')) {
    const exec = source.control('container_exec');
    const legacy = source.bool('block_container_exec');
    if (exec || legacy) {
      const enabled = [source.flag('container_exec.enabled'), source.flag('container_exec.block_container_exec'), legacy === true].some(
        Boolean,
      );
      controls.blockContainerExec = { enabled, allowedProcesses: source.strings('container_exec.container_exec_proc_white_list') ?? [] };
    }
  }

  if (applies('limitContainerPrivileges') && source.control('limit_container_privileges')) {
    const flag = (field: string) => source.flag(`limit_container_privileges.${field}`);
    // Every check is written out: Vigil's options default to on, the product's to off. The product's UTS and user
    // namespace checks and use_host_user have no Vigil counterpart and stay unread, hence reported.
    controls.limitContainerPrivileges = {
      enabled: flag('enabled'),
      privileged: flag('privileged'),
      hostNetwork: flag('netmode'),
      hostPid: flag('pidmode'),
      hostIpc: flag('ipcmode'),
      rootUser: flag('prevent_root_user'),
      lowPortBinding: flag('prevent_low_port_binding'),
      addCapabilities: flag('block_add_capabilities'),
    };
  }

  if (applies('noNewPrivileges') && source.bool('no_new_privileges') === true) controls.noNewPrivileges = { enabled: true };

  if (applies('blockedCapabilities')) {
    const capabilities = source.control('linux_capabilities');
    const legacy = source.strings('blocked_capabilities') ?? [];
    if (capabilities || legacy.length > 0) {
      const listed = unique([...(source.strings('linux_capabilities.remove_linux_capabilities') ?? []), ...legacy]);
      const enabled = (capabilities ? source.flag('linux_capabilities.enabled') : false) || legacy.length > 0;
      controls.blockedCapabilities = { enabled, capabilities: listed };
      const granted = listed.filter((capability) => defaultCapabilities.has(capability.toUpperCase().replace(/^CAP_/, '')));
      if (enabled && listed.length > 0) {
        source.changed(
          capabilities ? 'linux_capabilities' : 'blocked_capabilities',
          `the product removed these capabilities from every container; Vigil refuses pods that add them${
            granted.length > 0
              ? `. ${granted.join(', ')} ${granted.length === 1 ? 'is' : 'are'} in the container runtime's default set, so containers that do not drop ${granted.length === 1 ? 'it' : 'them'} keep ${granted.length === 1 ? 'it' : 'them'}: drop ${granted.length === 1 ? 'it' : 'them'} in the pod spec (securityContext.capabilities.drop)`
              : ''
          }`,
        );
      }
    }
  }

  if (applies('restrictedVolumes')) {
    const volumes = source.control('restricted_volumes');
    const legacy = source.strings('blocked_volumes') ?? [];
    if (volumes || legacy.length > 0) {
      const listed = source.strings('restricted_volumes.volumes') ?? [];
      controls.restrictedVolumes = {
        enabled: (volumes ? source.flag('restricted_volumes.enabled') : false) || legacy.length > 0,
        paths: unique([...listed, ...legacy]),
      };
    }
  }

  if (applies('allowedRegistries') && source.control('allowed_registries')) {
    const listPath = 'allowed_registries.allowed_registries';
    const listed = source.strings(listPath) ?? [];
    const hosts: string[] = [];
    const unmatchable: number[] = [];
    listed.forEach((entry, index) => {
      const translated = registryDisplayNames[entry.trim().toLowerCase()];
      if (translated) {
        hosts.push(translated);
        source.changed(
          `${listPath}.${index}`,
          `"${entry}" became ${translated}: images named without a registry (e.g. nginx:1.27) count as ${translated}`,
        );
      } else if (isRegistryHost(entry)) hosts.push(entry);
      else unmatchable.push(index);
    });
    if (listed.length > 0 && hosts.length === 0) {
      // Registry display names cannot be matched against image references, and an allow-list emptied by the
      // conversion would flag every pod: leave the control out and say so.
      source.report('allowed_registries');
    } else {
      for (const index of unmatchable) source.report(`${listPath}.${index}`);
      controls.allowedRegistries = { enabled: source.flag('allowed_registries.enabled'), registries: unique(hosts) };
    }
  }
}
