/** Controls of the product's runtime policies that Vigil's node and host agents enforce on processes and files. */
import type { PolicyType } from '../catalog.js';
import { type Json, type Source, unique } from './source.js';

const fileOperations = ['create', 'read', 'modify', 'delete', 'attributes'] as const;

/**
 * An allowed IP as a Vigil glob: addresses stay as they are, IPv4 networks on octet boundaries (/0, /8, /16, /24,
 * /32) become prefix globs; any other network cannot be written as a glob and yields undefined.
 */
function ipGlob(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return entry;
  const octets = entry.slice(0, slash).split('.');
  const bits = entry.slice(slash + 1);
  if (octets.length !== 4 || !octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)) return undefined;
  switch (bits) {
    case '0':
      return '*';
    case '8':
    case '16':
    case '24':
      return `${octets.slice(0, Number(bits) / 8).join('.')}.*`;
    case '32':
      return octets.join('.');
    default:
      return undefined;
  }
}

function allowedIps(source: Source, path: string): string[] {
  const globs: string[] = [];
  (source.strings(path) ?? []).forEach((entry, index) => {
    const glob = ipGlob(entry);
    if (glob === undefined) source.report(`${path}.${index}`);
    else globs.push(glob);
  });
  return globs;
}

export function readNodeControls(source: Source, controls: Json, applies: (key: string) => boolean, type: PolicyType): void {
  if (applies('driftPrevention') && source.control('drift_prevention')) {
    // exec_lockdown is the product's "block executables not in the image" (for functions: "in /tmp"), which is
    // what Vigil's drift prevention does; image_lockdown and prevent_privileged are not, and stay reported.
    const lockdown = source.flag('drift_prevention.exec_lockdown');
    const switchedOn = source.flag('drift_prevention.enabled');
    const enabled = switchedOn || (type === 'function' && lockdown);
    if (type === 'function' && lockdown && !switchedOn)
      source.changed(
        'drift_prevention.exec_lockdown',
        'executables written to /tmp at run time are blocked by drift prevention (driftPrevention)',
      );
    controls.driftPrevention = { enabled, allowedExecutables: source.strings('drift_prevention.exec_lockdown_white_list') ?? [] };
  }

  if (applies('blockedExecutables')) {
    const blacklist = source.control('executable_blacklist');
    const legacy = source.strings('blocked_executables') ?? [];
    if (blacklist || legacy.length > 0) {
      const listed = source.strings('executable_blacklist.executables') ?? [];
      controls.blockedExecutables = {
        enabled: (blacklist ? source.flag('executable_blacklist.enabled') : false) || legacy.length > 0,
        executables: unique([...listed, ...legacy]),
      };
    }
  }

  if (applies('blockAllProcesses') && source.control('allowed_executables')) {
    controls.blockAllProcesses = {
      enabled: source.flag('allowed_executables.enabled'),
      allowedExecutables: source.strings('allowed_executables.allow_executables') ?? [],
    };
  }

  if (applies('reverseShell')) {
    const reverse = source.control('reverse_shell');
    const legacy = source.bool('block_reverse_shell');
    if (reverse || legacy) {
      const ips = allowedIps(source, 'reverse_shell.reverse_shell_ip_white_list');
      if (ips.some((glob) => glob.endsWith('*')))
        source.changed(
          'reverse_shell.reverse_shell_ip_white_list',
          'networks became address patterns (10.0.0.0/8 → 10.*); the same addresses match',
        );
      controls.reverseShell = {
        enabled: [source.flag('reverse_shell.enabled'), source.flag('reverse_shell.block_reverse_shell'), legacy === true].some(Boolean),
        allowedProcesses: source.strings('reverse_shell.reverse_shell_proc_white_list') ?? [],
        allowedIps: ips,
      };
    }
  }

  if (applies('forkGuard')) {
    const enabled = source.bool('enable_fork_guard');
    const limit = source.peekInteger('fork_guard_process_limit');
    if (enabled === true || (limit !== undefined && limit > 0)) {
      controls.forkGuard = { enabled: enabled === true, ...(limit !== undefined && limit > 0 ? { processLimit: limit } : {}) };
      source.take('fork_guard_process_limit');
    }
  }

  if (applies('portBlock') && source.control('port_block')) {
    controls.portBlock = {
      enabled: source.flag('port_block.enabled'),
      inbound: source.strings('port_block.block_inbound_ports') ?? [],
      outbound: source.strings('port_block.block_outbound_ports') ?? [],
    };
  }

  if (applies('readOnlyFiles') && source.control('readonly_files')) {
    controls.readOnlyFiles = {
      enabled: source.flag('readonly_files.enabled'),
      paths: source.strings('readonly_files.readonly_files') ?? [],
      exceptions: source.strings('readonly_files.exceptional_readonly_files') ?? [],
    };
  }

  if (applies('fileIntegrityMonitoring') && source.control('file_integrity_monitoring')) {
    const settings: Json = {
      enabled: source.flag('file_integrity_monitoring.enabled'),
      paths: source.strings('file_integrity_monitoring.monitored_files') ?? [],
      exceptions: source.strings('file_integrity_monitoring.exceptional_monitored_files') ?? [],
    };
    const flags = fileOperations.map(
      (operation) => [operation, source.bool(`file_integrity_monitoring.monitored_files_${operation}`)] as const,
    );
    // Without any operation flag the product's own default applies, which Vigil's default mirrors.
    if (flags.some(([, value]) => value !== undefined))
      settings.operations = flags.filter(([, value]) => value === true).map(([operation]) => operation);
    controls.fileIntegrityMonitoring = settings;
  }
}
