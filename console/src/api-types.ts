// Generated from the OpenAPI document by `npm run console:types`; do not edit by hand.

export interface paths {
    "/v1/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The activity trail, newest first */
        get: operations["getV1Activity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admission/{cluster}/{secret}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Admission webhook called by the EKS API server */
        post: operations["postV1AdmissionBy_clusterBy_secret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/application-scopes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List application scopes */
        get: operations["getV1ApplicationScopes"];
        put?: never;
        /** Create an application scope */
        post: operations["postV1ApplicationScopes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/application-scopes/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read an application scope */
        get: operations["getV1ApplicationScopesBy_name"];
        /**
         * Replace an application scope
         * @description Replaces the whole application scope; write-only values the body leaves out are kept. A body that is the application scope as it is (as GET shows it, server-managed fields and spelled-out defaults included) answers 200 with it, at the same version, and writes nothing (no new revision, no activity entry), as a PATCH that changes nothing does. If-Match is optional: without it, a concurrent edit is overwritten; a stale one is 412 even when the body changes nothing.
         */
        put: operations["putV1ApplicationScopesBy_name"];
        post?: never;
        /** Delete an application scope */
        delete: operations["deleteV1ApplicationScopesBy_name"];
        options?: never;
        head?: never;
        /** Change some fields of an application scope (JSON merge patch) */
        patch: operations["patchV1ApplicationScopesBy_name"];
        trace?: never;
    };
    "/v1/audit-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit log, newest first */
        get: operations["getV1AuditEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit-events/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One audit event */
        get: operations["getV1AuditEventsBy_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit-events/histogram": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Detect and Block counts per hour or day over a window of at most 31 days */
        get: operations["getV1AuditEventsHistogram"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List registered EKS clusters */
        get: operations["getV1Clusters"];
        put?: never;
        /** Register an EKS cluster (returns the webhook URL and manifest once) */
        post: operations["postV1Clusters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a registered cluster */
        get: operations["getV1ClustersBy_name"];
        put?: never;
        post?: never;
        /** Deregister a cluster */
        delete: operations["deleteV1ClustersBy_name"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{name}/node-agent-token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rotate the cluster's node-agent token (returns it once, with the token Secret manifest); the previous token stops working */
        post: operations["postV1ClustersBy_nameNodeAgentToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{name}/node-policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Preview the Tetragon policies compiled for the cluster and an agent group, with the fidelity report (YAML with Accept: application/yaml) */
        get: operations["getV1ClustersBy_nameNodePolicies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/clusters/{name}/secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rotate the webhook secret */
        post: operations["postV1ClustersBy_nameSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/controls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The control catalog */
        get: operations["getV1Controls"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcer-groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List enforcer groups */
        get: operations["getV1EnforcerGroups"];
        put?: never;
        /** Create an enforcer group (returns its token once) */
        post: operations["postV1EnforcerGroups"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcer-groups/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read an enforcer group */
        get: operations["getV1EnforcerGroupsBy_name"];
        /**
         * Replace an enforcer group
         * @description Replaces the whole enforcer group; write-only values the body leaves out are kept. A body that is the enforcer group as it is (as GET shows it, server-managed fields and spelled-out defaults included) answers 200 with it and the clustersToReissue and warnings a save of it answers, at the same version, and writes nothing (no new revision, no activity entry), as a PATCH that changes nothing does. If-Match is optional: without it, a concurrent edit is overwritten; a stale one is 412 even when the body changes nothing.
         */
        put: operations["putV1EnforcerGroupsBy_name"];
        post?: never;
        /** Delete an enforcer group */
        delete: operations["deleteV1EnforcerGroupsBy_name"];
        options?: never;
        head?: never;
        /** Change some fields of an enforcer group (JSON merge patch) */
        patch: operations["patchV1EnforcerGroupsBy_name"];
        trace?: never;
    };
    "/v1/enforcer-groups/{name}/reissue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Re-issue the webhook secret and manifest of every cluster of the group whose manifest no longer matches the group's failMode, timeoutSeconds or exemptKubeSystem (new URLs shown once) */
        post: operations["postV1EnforcerGroupsBy_nameReissue"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcer-groups/{name}/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The rule table of a nano_enforcer group compiled for one function from its facts, as GET /v1/enforcers/rules serves it (what VIGIL_RULES embeds) */
        get: operations["getV1EnforcerGroupsBy_nameRules"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcer-groups/{name}/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rotate the group token (returns it once) */
        post: operations["postV1EnforcerGroupsBy_nameToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Registered enforcers with their connection status */
        get: operations["getV1Enforcers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/bundle": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The policy bundle of the enforcer group */
        get: operations["getV1EnforcersBundle"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report audit events (idempotent by id) */
        post: operations["postV1EnforcersEvents"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark the enforcer connected */
        post: operations["postV1EnforcersHeartbeat"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/node-policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A cluster's Tetragon objects compiled for the token's agent group (what the in-cluster bridge applies) */
        get: operations["getV1EnforcersNodePolicies"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Register an enforcer */
        post: operations["postV1EnforcersRegister"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/enforcers/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The rule table compiled for one function of the group from its facts (function, runtime, region, account, tags) */
        get: operations["getV1EnforcersRules"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export policies, application scopes, settings and enforcer groups */
        get: operations["getV1Export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness of the control plane */
        get: operations["getV1Health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Import a policy-as-code document (all or nothing) */
        post: operations["postV1Import"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/imports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open a multi-part import, for a document larger than one request */
        post: operations["postV1Imports"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/imports/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Abort a multi-part import: its parts are deleted */
        delete: operations["deleteV1ImportsBy_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/imports/{id}/commit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Import the parts of a multi-part import as one document (all or nothing) */
        post: operations["postV1ImportsBy_idCommit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/imports/{id}/parts/{part}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Upload one part of a multi-part import (checked on arrival) */
        put: operations["putV1ImportsBy_idPartsBy_part"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI 3.1 document */
        get: operations["getV1Openapi.json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List runtime policies */
        get: operations["getV1Policies"];
        put?: never;
        /** Create a runtime policy (or from a template) */
        post: operations["postV1Policies"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policies/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a runtime policy */
        get: operations["getV1PoliciesBy_name"];
        /**
         * Replace a runtime policy
         * @description Replaces the whole policy; write-only values the body leaves out are kept. A body that is the policy as it is (as GET shows it, server-managed fields and spelled-out defaults included) answers 200 with it and the save-time warnings a save of it answers, at the same version, and writes nothing (no new revision, no activity entry), as a PATCH that changes nothing does. If-Match is optional: without it, a concurrent edit is overwritten; a stale one is 412 even when the body changes nothing.
         */
        put: operations["putV1PoliciesBy_name"];
        post?: never;
        /** Delete a runtime policy and its schedule */
        delete: operations["deleteV1PoliciesBy_name"];
        options?: never;
        head?: never;
        /** Change some fields of a runtime policy (JSON merge patch) */
        patch: operations["patchV1PoliciesBy_name"];
        trace?: never;
    };
    "/v1/policies/{name}/readiness": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What enforce mode would have blocked over the last N days, from the policy's stored Detect events */
        get: operations["getV1PoliciesBy_nameReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy-templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List predefined policies */
        get: operations["getV1PolicyTemplates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/policy-templates/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a predefined policy */
        get: operations["getV1PolicyTemplatesBy_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/settings/enforcer": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Global bypass and enforcer settings */
        get: operations["getV1SettingsEnforcer"];
        /**
         * Replace the global bypass and enforcer settings
         * @description Replaces the whole settings document; write-only values the body leaves out are kept. A body that is the settings document as it is (as GET shows it, server-managed fields and spelled-out defaults included) answers 200 with it, at the same version, and writes nothing (no new revision, no activity entry), as a PATCH that changes nothing does. If-Match is optional: without it, a concurrent edit is overwritten; a stale one is 412 even when the body changes nothing.
         */
        put: operations["putV1SettingsEnforcer"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change some of the global bypass and enforcer settings (JSON merge patch) */
        patch: operations["patchV1SettingsEnforcer"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description One configuration change: who made it, when, to what, and the stored resource before and after it (the console diffs the two). Write-only values (tokens, webhook secrets, the honeypot secret) are never shown. */
        ActivityEntry: {
            /** @description create, update, delete, import, rotate-token, rotate-secret or mode-change */
            action: string;
            /** @description Who changed it, e.g. the admin identity or schedule:<id> for a scheduled switch */
            actor: string;
            /** @description The resource as stored after the change, or null for a delete; {truncated: true, version} as for before. */
            after: unknown;
            /** @description The resource as stored before the change (with version, createdAt, updatedAt, updatedBy), or null for a create. An entry whose images did not fit one item holds {truncated: true, version} instead. */
            before: unknown;
            id: string;
            /** @description <kind>/<name>, e.g. policy/exec-guard or settings/enforcer */
            resource: string;
            /** Format: date-time */
            time: string;
        };
        ApplicationScope: {
            readonly createdAt?: string;
            description?: string;
            /** @default  */
            expression: string;
            name: string;
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @default [] */
            variables: {
                attribute: string;
                /** @description Label or tag key; required for keyed attributes. */
                name?: string;
                value: string;
            }[];
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
        };
        /** @description One Detect or Block event. Fields longer than their bounds are cut, never refused: a cut text keeps its start and its end around a [… N characters cut …] marker, a cut list ends with [… N more cut …], and truncated names every cut field with its original length. The whole JSON is at most 128 KiB (131072 bytes), counting characters JSON escapes and truncated; an event that would be larger is cut again with all bounds halved, down to an eighth of them. */
        AuditEvent: {
            /** @enum {string} */
            action: "exec" | "attach" | "portforward" | "debug" | "create" | "update" | "process" | "file" | "network" | "honeypot" | "login";
            /** @default null */
            command: string[] | null;
            control: string;
            controlName: string;
            /** @enum {string} */
            enforcementMode: "audit" | "enforce";
            enforcer: {
                group: string;
                id: string | null;
                /** @enum {string} */
                type: "kube_enforcer" | "nano_enforcer" | "agent" | "host_enforcer";
            };
            id: string;
            message: string;
            policy: string;
            /** @enum {string} */
            policyType: "container" | "function" | "host";
            policyVersion: number;
            /** @enum {string} */
            status: "Detect" | "Block";
            /** Format: date-time */
            time: string;
            truncated?: {
                field: string;
                /** @description the original length: characters of a text, items of a list */
                length: number;
            }[];
            unresolved?: string[];
            /** @default null */
            user: {
                groups: string[];
                name: string | null;
            } | null;
            workload: {
                /** @default null */
                cluster: string | null;
                /** @default null */
                container: string | null;
                /** @default null */
                function: string | null;
                /** @default null */
                host: string | null;
                /** @default null */
                image: string | null;
                /** @default null */
                namespace: string | null;
                /** @default null */
                pod: string | null;
            };
        };
        /** @description A registered EKS cluster as the API shows it: never its webhook secret or node-agent token (only their hashes are stored, and never shown). */
        Cluster: {
            arn?: string;
            /**
             * Format: date-time
             * @description When the cluster was registered
             */
            createdAt: string;
            /** @description The API server endpoint, from DescribeCluster when an ARN was given */
            endpoint?: string;
            /** @description The kube_enforcer group that decides admission for the cluster */
            enforcerGroup: string;
            /** @description The group settings the cluster's current webhook manifest was issued with */
            issuedWith?: {
                exemptKubeSystem: boolean;
                /** @enum {string} */
                failMode: "open" | "closed";
                timeoutSeconds: number;
            };
            kubernetesVersion?: string;
            name: string;
            /** @description The node agents issued with the registration (absent when none were asked for) */
            nodeAgent?: {
                enforcerGroup: string;
                image: string;
                namespace: string;
            };
            /** @description The EKS cluster's status, from DescribeCluster when an ARN was given */
            status?: string;
            /** Format: date-time */
            updatedAt: string;
            updatedBy: string;
            version: number;
        };
        /** @description The commercial product's own JSON, recognised by its shape and converted (see docs/migrating-from-the-commercial-product.md): a runtime policy (container, host or function; its API body without runtime_type reads as a container policy), an application scope (with categories), an enforcer group (its token is never imported), a list of them, the product's list answer {count, page, pagesize, result: [...]}, or a list of global bypass strings (replaces the bypass list of the enforcer settings). Snake_case fields as the product writes them; a value of the wrong type is refused with the field's path. Up to 5 MiB (about 1,000 full policies) in one request; a larger document is uploaded in parts (POST /v1/imports). */
        CommercialDocument: {
            [key: string]: unknown;
        } | {
            [key: string]: unknown;
        }[] | {
            count?: number;
            page?: number;
            pagesize?: number;
            result: {
                [key: string]: unknown;
            }[];
        } | string[];
        /** @description One entry of the control catalog: what a policy can switch on under controls.<key>. */
        Control: {
            /** @description Operations it inspects */
            actsOn: string[];
            description: string;
            /** @description Enforcer types able to act on it */
            enforcedBy: string[];
            /** @description The control's key in a policy's controls object */
            key: string;
            name: string;
            /** @description A running workload must be restarted before it applies */
            newWorkloadsOnly: boolean;
            /** @description How node agents (Tetragon) enforce it, where they can */
            nodeEnforcement?: {
                engine?: string;
                fidelity?: string;
                summary?: string;
            };
            /** @description JSON Schema (draft 2020-12) of its options besides enabled; every option has a default */
            options: {
                [key: string]: unknown;
            };
            /** @enum {string} */
            policyType: "container" | "function" | "host";
            /** @description Only records (always Detect), whatever the enforcement mode */
            recordOnly: boolean;
        };
        /** @description A registered enforcer with its connection status: connected while its last heartbeat is younger than three poll intervals. Node agents carry metadata.kind (bridge or forwarder) and metadata.cluster. */
        Enforcer: {
            enforcerId: string;
            group: string;
            hostname?: string;
            /**
             * Format: date-time
             * @description The last registration, poll or heartbeat
             */
            lastSeen: string;
            metadata?: {
                [key: string]: string;
            };
            name: string;
            pollIntervalSeconds: number;
            /** Format: date-time */
            registeredAt: string;
            /** @enum {string} */
            status: "connected" | "disconnected";
            type: string;
            version?: string;
        };
        EnforcerEvent: {
            /** @enum {string} */
            action: "exec" | "attach" | "portforward" | "debug" | "create" | "update" | "process" | "file" | "network" | "honeypot" | "login";
            /** @default null */
            command: string[] | null;
            control: string;
            controlName: string;
            /** @enum {string} */
            enforcementMode: "audit" | "enforce";
            enforcer?: unknown;
            id: string;
            message: string;
            policy: string;
            /** @enum {string} */
            policyType: "container" | "function" | "host";
            policyVersion: number;
            /** @enum {string} */
            status: "Detect" | "Block";
            /** Format: date-time */
            time: string;
            /** @description What the enforcer cut before sending: each entry names a field the server cuts (message, workload.<field>, user.name, user.groups, command, unresolved, or an item of one of these lists below the most items it keeps) and its original length, at most what the server takes uncut (1048576 characters; 65536 items for a whole list). */
            truncated?: {
                field: string;
                /** @description the original length: characters of a text, items of a list */
                length: number;
            }[];
            unresolved?: string[];
            /** @default null */
            user: {
                groups: string[];
                name: string | null;
            } | null;
            workload: {
                /** @default null */
                cluster: string | null;
                /** @default null */
                container: string | null;
                /** @default null */
                function: string | null;
                /** @default null */
                host: string | null;
                /** @default null */
                image: string | null;
                /** @default null */
                namespace: string | null;
                /** @default null */
                pod: string | null;
            };
        };
        EnforcerGroup: {
            /** @default true */
            containerProtection: boolean;
            readonly createdAt?: string;
            description?: string;
            /**
             * @description false = audit only: Block verdicts are downgraded to Detect.
             * @default false
             */
            enforce: boolean;
            /**
             * @description Fail-closed groups only: the generated manifest leaves kube-system out (namespaceSelector), so that CoreDNS, aws-node and kube-proxy pods still start while Vigil is unreachable. false sends kube-system to the webhook as well (the global bypass then decides). Changing it needs the manifests re-issued.
             * @default true
             */
            exemptKubeSystem: boolean;
            /**
             * @description What the webhook answers when it cannot decide.
             * @default open
             * @enum {string}
             */
            failMode: "open" | "closed";
            /** @default true */
            hostProtection: boolean;
            name: string;
            /**
             * @description Admission webhook timeout written into generated manifests.
             * @default 5
             */
            timeoutSeconds: number;
            /** @enum {string} */
            type: "kube_enforcer" | "nano_enforcer" | "agent" | "host_enforcer";
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
        };
        EnforcerRegistration: {
            hostname?: string;
            metadata?: {
                [key: string]: string;
            };
            name: string;
            /** @enum {string} */
            type: "kube_enforcer" | "nano_enforcer" | "agent" | "host_enforcer";
            version?: string;
        };
        EnforcerSettings: {
            /** @default true */
            admissionWarnings: boolean;
            /** @default 90 */
            auditRetentionDays: number;
            bypassScopes?: ({
                attribute: string;
                /** @description Label or tag key; required for keyed attributes. */
                name?: string;
                value: string;
            } | string)[];
            readonly createdAt?: string;
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
        };
        Error: {
            error: {
                /** @description snake_case error code, e.g. validation_failed */
                code: string;
                details?: {
                    message?: string;
                    path?: string;
                }[];
                message: string;
            };
        };
        ExportDocument: {
            /** @default [] */
            applicationScopes: {
                readonly createdAt?: string;
                description?: string;
                /** @default  */
                expression: string;
                name: string;
                readonly updatedAt?: string;
                readonly updatedBy?: string;
                /** @default [] */
                variables: {
                    attribute: string;
                    /** @description Label or tag key; required for keyed attributes. */
                    name?: string;
                    value: string;
                }[];
                /** @description Increments on every change; also the ETag. */
                readonly version?: number;
            }[];
            /** @description Enforcer groups, as GET /v1/export answers them (every group, without its token or server-managed fields). Each is the body of PUT /v1/enforcer-groups/{name}: a whole group, fields left out take their defaults; a token is never imported. Created groups get a new token, shown once in the answer; existing ones keep theirs. Groups absent from the document are never deleted. */
            enforcerGroups?: components["schemas"]["EnforcerGroup"][];
            /** @constant */
            formatVersion: 1;
            /** @default [] */
            policies: ({
                /** @default {} */
                controls: {
                    allowedRegistries?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        registries: string[];
                    };
                    blockContainerAttach?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    blockContainerExec?: {
                        /** @default [] */
                        allowedProcesses: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    blockDebugContainers?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    blockedCapabilities?: {
                        /** @default [] */
                        capabilities: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    blockedExecutables?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        executables: string[];
                    };
                    blockPortForward?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    driftPrevention?: {
                        /** @default [] */
                        allowedExecutables: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    fileIntegrityMonitoring?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        exceptions: string[];
                        /**
                         * @default [
                         *       "create",
                         *       "modify",
                         *       "delete",
                         *       "attributes"
                         *     ]
                         */
                        operations: ("create" | "read" | "modify" | "delete" | "attributes")[];
                        /** @default [] */
                        paths: string[];
                    };
                    forkGuard?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default 1000 */
                        processLimit: number;
                    };
                    limitContainerPrivileges?: {
                        /** @default true */
                        addCapabilities: boolean;
                        /** @default true */
                        enabled: boolean;
                        /** @default true */
                        hostIpc: boolean;
                        /** @default true */
                        hostNetwork: boolean;
                        /** @default true */
                        hostPid: boolean;
                        /** @default true */
                        lowPortBinding: boolean;
                        /** @default true */
                        privileged: boolean;
                        /** @default true */
                        rootUser: boolean;
                    };
                    noNewPrivileges?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    portBlock?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        inbound: string[];
                        /** @default [] */
                        outbound: string[];
                    };
                    readOnlyFiles?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        exceptions: string[];
                        /** @default [] */
                        paths: string[];
                    };
                    readOnlyRootFilesystem?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    restrictedVolumes?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        paths: string[];
                    };
                    reverseShell?: {
                        /** @default [] */
                        allowedIps: string[];
                        /** @default [] */
                        allowedProcesses: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                };
                readonly createdAt?: string;
                description?: string;
                /** @default true */
                enabled: boolean;
                /**
                 * @default audit
                 * @enum {string}
                 */
                enforcementMode: "audit" | "enforce";
                enforcementModeChange?: {
                    afterDays?: number;
                    /** Format: date-time */
                    at?: string;
                    readonly id?: string;
                    /** Format: date-time */
                    readonly scheduledFor?: string;
                    /** @enum {string} */
                    readonly state?: "pending";
                    /** @enum {string} */
                    to: "audit" | "enforce";
                } | null;
                name: string;
                /**
                 * @default {
                 *       "applicationScopes": [
                 *         "Global"
                 *       ],
                 *       "expression": "",
                 *       "variables": []
                 *     }
                 */
                scope: {
                    /**
                     * @default [
                     *       "Global"
                     *     ]
                     */
                    applicationScopes: string[];
                    /** @default  */
                    expression: string;
                    /** @default [] */
                    variables: {
                        attribute: string;
                        /** @description Label or tag key; required for keyed attributes. */
                        name?: string;
                        value: string;
                    }[];
                };
                /** @constant */
                type: "container";
                readonly updatedAt?: string;
                readonly updatedBy?: string;
                /** @description Increments on every change; also the ETag. */
                readonly version?: number;
                /** @description Save-time advice (responses only); ignored on input. */
                readonly warnings?: string[];
            } | {
                /** @default {} */
                controls: {
                    blockAllProcesses?: {
                        /** @default [] */
                        allowedExecutables: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    blockedExecutables?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        executables: string[];
                    };
                    driftPrevention?: {
                        /** @default [] */
                        allowedExecutables: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    honeypot?: {
                        accessKeyId?: string;
                        /**
                         * @default [
                         *       "environment"
                         *     ]
                         */
                        applyOn: ("environment" | "file")[];
                        /** @default true */
                        enabled: boolean;
                        /** @description Write-only: never returned by the API. */
                        secretAccessKey?: string;
                    };
                    networkEgress?: {
                        /** @default [] */
                        allowedHosts: string[];
                        /** @default [] */
                        allowedPorts: number[];
                        /** @default true */
                        enabled: boolean;
                    };
                };
                readonly createdAt?: string;
                description?: string;
                /** @default true */
                enabled: boolean;
                /**
                 * @default audit
                 * @enum {string}
                 */
                enforcementMode: "audit" | "enforce";
                enforcementModeChange?: {
                    afterDays?: number;
                    /** Format: date-time */
                    at?: string;
                    readonly id?: string;
                    /** Format: date-time */
                    readonly scheduledFor?: string;
                    /** @enum {string} */
                    readonly state?: "pending";
                    /** @enum {string} */
                    to: "audit" | "enforce";
                } | null;
                name: string;
                /**
                 * @default {
                 *       "applicationScopes": [
                 *         "Global"
                 *       ],
                 *       "expression": "",
                 *       "variables": []
                 *     }
                 */
                scope: {
                    /**
                     * @default [
                     *       "Global"
                     *     ]
                     */
                    applicationScopes: string[];
                    /** @default  */
                    expression: string;
                    /** @default [] */
                    variables: {
                        attribute: string;
                        /** @description Label or tag key; required for keyed attributes. */
                        name?: string;
                        value: string;
                    }[];
                };
                /** @constant */
                type: "function";
                readonly updatedAt?: string;
                readonly updatedBy?: string;
                /** @description Increments on every change; also the ETag. */
                readonly version?: number;
                /** @description Save-time advice (responses only); ignored on input. */
                readonly warnings?: string[];
            } | {
                /** @default {} */
                controls: {
                    blockedExecutables?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        executables: string[];
                    };
                    fileIntegrityMonitoring?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        exceptions: string[];
                        /**
                         * @default [
                         *       "create",
                         *       "modify",
                         *       "delete",
                         *       "attributes"
                         *     ]
                         */
                        operations: ("create" | "read" | "modify" | "delete" | "attributes")[];
                        /** @default [] */
                        paths: string[];
                    };
                    loginAuditing?: {
                        /** @default true */
                        enabled: boolean;
                    };
                    osUsers?: {
                        /** @default [] */
                        allowed: string[];
                        /** @default [] */
                        blocked: string[];
                        /** @default true */
                        enabled: boolean;
                    };
                    portBlock?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        inbound: string[];
                        /** @default [] */
                        outbound: string[];
                    };
                    readOnlyFiles?: {
                        /** @default true */
                        enabled: boolean;
                        /** @default [] */
                        exceptions: string[];
                        /** @default [] */
                        paths: string[];
                    };
                };
                readonly createdAt?: string;
                description?: string;
                /** @default true */
                enabled: boolean;
                /**
                 * @default audit
                 * @enum {string}
                 */
                enforcementMode: "audit" | "enforce";
                enforcementModeChange?: {
                    afterDays?: number;
                    /** Format: date-time */
                    at?: string;
                    readonly id?: string;
                    /** Format: date-time */
                    readonly scheduledFor?: string;
                    /** @enum {string} */
                    readonly state?: "pending";
                    /** @enum {string} */
                    to: "audit" | "enforce";
                } | null;
                name: string;
                /**
                 * @default {
                 *       "applicationScopes": [
                 *         "Global"
                 *       ],
                 *       "expression": "",
                 *       "variables": []
                 *     }
                 */
                scope: {
                    /**
                     * @default [
                     *       "Global"
                     *     ]
                     */
                    applicationScopes: string[];
                    /** @default  */
                    expression: string;
                    /** @default [] */
                    variables: {
                        attribute: string;
                        /** @description Label or tag key; required for keyed attributes. */
                        name?: string;
                        value: string;
                    }[];
                };
                /** @constant */
                type: "host";
                readonly updatedAt?: string;
                readonly updatedBy?: string;
                /** @description Increments on every change; also the ETag. */
                readonly version?: number;
                /** @description Save-time advice (responses only); ignored on input. */
                readonly warnings?: string[];
            })[];
            settings?: {
                /** @default true */
                admissionWarnings: boolean;
                /** @default 90 */
                auditRetentionDays: number;
                bypassScopes?: ({
                    attribute: string;
                    /** @description Label or tag key; required for keyed attributes. */
                    name?: string;
                    value: string;
                } | string)[];
                readonly createdAt?: string;
                readonly updatedAt?: string;
                readonly updatedBy?: string;
                /** @description Increments on every change; also the ETag. */
                readonly version?: number;
            };
        };
        ImportAnswer: {
            dryRun: boolean;
            items: {
                /** @enum {string} */
                kind: "applicationScope" | "policy" | "settings" | "enforcerGroup";
                name: string;
                /** @enum {string} */
                result: "created" | "updated" | "unchanged";
                /** @description Enforcer groups created by the import only (not in a dry run): the new group token, shown this once; only its hash is stored. */
                token?: string;
                /** @description Policies only: the save-time warnings POST /v1/policies gives (controls nothing applies, attributes the workloads never carry, ...). */
                warnings?: string[];
            }[];
            /** @description Commercial documents only: per translated source field whose meaning differs in Vigil, what changed, in words for the user. */
            meaningChanges?: {
                field: string;
                kind: string;
                message: string;
                name: string;
            }[];
            /** @description Commercial documents only: per item, the source fields that held a setting and have no counterpart (not carried over). Bookkeeping fields and switched-off controls are not listed. */
            unsupported?: {
                fields: string[];
                kind: string;
                name: string;
            }[];
        };
        Policy: {
            /** @default {} */
            controls: {
                allowedRegistries?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    registries: string[];
                };
                blockContainerAttach?: {
                    /** @default true */
                    enabled: boolean;
                };
                blockContainerExec?: {
                    /** @default [] */
                    allowedProcesses: string[];
                    /** @default true */
                    enabled: boolean;
                };
                blockDebugContainers?: {
                    /** @default true */
                    enabled: boolean;
                };
                blockedCapabilities?: {
                    /** @default [] */
                    capabilities: string[];
                    /** @default true */
                    enabled: boolean;
                };
                blockedExecutables?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    executables: string[];
                };
                blockPortForward?: {
                    /** @default true */
                    enabled: boolean;
                };
                driftPrevention?: {
                    /** @default [] */
                    allowedExecutables: string[];
                    /** @default true */
                    enabled: boolean;
                };
                fileIntegrityMonitoring?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    exceptions: string[];
                    /**
                     * @default [
                     *       "create",
                     *       "modify",
                     *       "delete",
                     *       "attributes"
                     *     ]
                     */
                    operations: ("create" | "read" | "modify" | "delete" | "attributes")[];
                    /** @default [] */
                    paths: string[];
                };
                forkGuard?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default 1000 */
                    processLimit: number;
                };
                limitContainerPrivileges?: {
                    /** @default true */
                    addCapabilities: boolean;
                    /** @default true */
                    enabled: boolean;
                    /** @default true */
                    hostIpc: boolean;
                    /** @default true */
                    hostNetwork: boolean;
                    /** @default true */
                    hostPid: boolean;
                    /** @default true */
                    lowPortBinding: boolean;
                    /** @default true */
                    privileged: boolean;
                    /** @default true */
                    rootUser: boolean;
                };
                noNewPrivileges?: {
                    /** @default true */
                    enabled: boolean;
                };
                portBlock?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    inbound: string[];
                    /** @default [] */
                    outbound: string[];
                };
                readOnlyFiles?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    exceptions: string[];
                    /** @default [] */
                    paths: string[];
                };
                readOnlyRootFilesystem?: {
                    /** @default true */
                    enabled: boolean;
                };
                restrictedVolumes?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    paths: string[];
                };
                reverseShell?: {
                    /** @default [] */
                    allowedIps: string[];
                    /** @default [] */
                    allowedProcesses: string[];
                    /** @default true */
                    enabled: boolean;
                };
            };
            readonly createdAt?: string;
            description?: string;
            /** @default true */
            enabled: boolean;
            /**
             * @default audit
             * @enum {string}
             */
            enforcementMode: "audit" | "enforce";
            enforcementModeChange?: {
                afterDays?: number;
                /** Format: date-time */
                at?: string;
                readonly id?: string;
                /** Format: date-time */
                readonly scheduledFor?: string;
                /** @enum {string} */
                readonly state?: "pending";
                /** @enum {string} */
                to: "audit" | "enforce";
            } | null;
            name: string;
            /**
             * @default {
             *       "applicationScopes": [
             *         "Global"
             *       ],
             *       "expression": "",
             *       "variables": []
             *     }
             */
            scope: {
                /**
                 * @default [
                 *       "Global"
                 *     ]
                 */
                applicationScopes: string[];
                /** @default  */
                expression: string;
                /** @default [] */
                variables: {
                    attribute: string;
                    /** @description Label or tag key; required for keyed attributes. */
                    name?: string;
                    value: string;
                }[];
            };
            /** @constant */
            type: "container";
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
            /** @description Save-time advice (responses only); ignored on input. */
            readonly warnings?: string[];
        } | {
            /** @default {} */
            controls: {
                blockAllProcesses?: {
                    /** @default [] */
                    allowedExecutables: string[];
                    /** @default true */
                    enabled: boolean;
                };
                blockedExecutables?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    executables: string[];
                };
                driftPrevention?: {
                    /** @default [] */
                    allowedExecutables: string[];
                    /** @default true */
                    enabled: boolean;
                };
                honeypot?: {
                    accessKeyId?: string;
                    /**
                     * @default [
                     *       "environment"
                     *     ]
                     */
                    applyOn: ("environment" | "file")[];
                    /** @default true */
                    enabled: boolean;
                    /** @description Write-only: never returned by the API. */
                    secretAccessKey?: string;
                };
                networkEgress?: {
                    /** @default [] */
                    allowedHosts: string[];
                    /** @default [] */
                    allowedPorts: number[];
                    /** @default true */
                    enabled: boolean;
                };
            };
            readonly createdAt?: string;
            description?: string;
            /** @default true */
            enabled: boolean;
            /**
             * @default audit
             * @enum {string}
             */
            enforcementMode: "audit" | "enforce";
            enforcementModeChange?: {
                afterDays?: number;
                /** Format: date-time */
                at?: string;
                readonly id?: string;
                /** Format: date-time */
                readonly scheduledFor?: string;
                /** @enum {string} */
                readonly state?: "pending";
                /** @enum {string} */
                to: "audit" | "enforce";
            } | null;
            name: string;
            /**
             * @default {
             *       "applicationScopes": [
             *         "Global"
             *       ],
             *       "expression": "",
             *       "variables": []
             *     }
             */
            scope: {
                /**
                 * @default [
                 *       "Global"
                 *     ]
                 */
                applicationScopes: string[];
                /** @default  */
                expression: string;
                /** @default [] */
                variables: {
                    attribute: string;
                    /** @description Label or tag key; required for keyed attributes. */
                    name?: string;
                    value: string;
                }[];
            };
            /** @constant */
            type: "function";
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
            /** @description Save-time advice (responses only); ignored on input. */
            readonly warnings?: string[];
        } | {
            /** @default {} */
            controls: {
                blockedExecutables?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    executables: string[];
                };
                fileIntegrityMonitoring?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    exceptions: string[];
                    /**
                     * @default [
                     *       "create",
                     *       "modify",
                     *       "delete",
                     *       "attributes"
                     *     ]
                     */
                    operations: ("create" | "read" | "modify" | "delete" | "attributes")[];
                    /** @default [] */
                    paths: string[];
                };
                loginAuditing?: {
                    /** @default true */
                    enabled: boolean;
                };
                osUsers?: {
                    /** @default [] */
                    allowed: string[];
                    /** @default [] */
                    blocked: string[];
                    /** @default true */
                    enabled: boolean;
                };
                portBlock?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    inbound: string[];
                    /** @default [] */
                    outbound: string[];
                };
                readOnlyFiles?: {
                    /** @default true */
                    enabled: boolean;
                    /** @default [] */
                    exceptions: string[];
                    /** @default [] */
                    paths: string[];
                };
            };
            readonly createdAt?: string;
            description?: string;
            /** @default true */
            enabled: boolean;
            /**
             * @default audit
             * @enum {string}
             */
            enforcementMode: "audit" | "enforce";
            enforcementModeChange?: {
                afterDays?: number;
                /** Format: date-time */
                at?: string;
                readonly id?: string;
                /** Format: date-time */
                readonly scheduledFor?: string;
                /** @enum {string} */
                readonly state?: "pending";
                /** @enum {string} */
                to: "audit" | "enforce";
            } | null;
            name: string;
            /**
             * @default {
             *       "applicationScopes": [
             *         "Global"
             *       ],
             *       "expression": "",
             *       "variables": []
             *     }
             */
            scope: {
                /**
                 * @default [
                 *       "Global"
                 *     ]
                 */
                applicationScopes: string[];
                /** @default  */
                expression: string;
                /** @default [] */
                variables: {
                    attribute: string;
                    /** @description Label or tag key; required for keyed attributes. */
                    name?: string;
                    value: string;
                }[];
            };
            /** @constant */
            type: "host";
            readonly updatedAt?: string;
            readonly updatedBy?: string;
            /** @description Increments on every change; also the ETag. */
            readonly version?: number;
            /** @description Save-time advice (responses only); ignored on input. */
            readonly warnings?: string[];
        };
        /** @description A predefined policy: POST /v1/policies with {"template": id, "name": ...} creates it. */
        PolicyTemplate: {
            description: string;
            id: string;
            policy: components["schemas"]["Policy"];
            title: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getV1Activity: {
        parameters: {
            query?: {
                cursor?: string;
                /** @description The most items a page holds; follow nextCursor for the rest. */
                limit?: number;
                /** @description Only entries at or after this ISO 8601 instant (inclusive). */
                since?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["ActivityEntry"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1AdmissionBy_clusterBy_secret: {
        parameters: {
            query?: {
                timeout?: string;
            };
            header?: never;
            path: {
                cluster: string;
                secret: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1ApplicationScopes: {
        parameters: {
            query?: {
                cursor?: string;
                /** @description The most items a page holds. A page also ends once its items reach 1 MiB; follow nextCursor for the rest. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["ApplicationScope"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1ApplicationScopes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApplicationScope"];
            };
        };
        responses: {
            /** @description The resource already exists with exactly this content (a retried create): the stored resource */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationScope"];
                };
            };
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationScope"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1ApplicationScopesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationScope"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putV1ApplicationScopesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApplicationScope"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationScope"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteV1ApplicationScopesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    patchV1ApplicationScopesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/merge-patch+json": Record<string, never>;
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationScope"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1AuditEvents: {
        parameters: {
            query?: {
                cluster?: string;
                cursor?: string;
                /** @description The most items a page holds; follow nextCursor for the rest. */
                limit?: number;
                namespace?: string;
                policy?: string;
                since?: string;
                status?: string;
                type?: string;
                until?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["AuditEvent"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1AuditEventsBy_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEvent"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1AuditEventsHistogram: {
        parameters: {
            query?: {
                bucket?: string;
                since?: string;
                until?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description Asked for, or hour for a window of up to 2 days and day beyond
                         * @enum {string}
                         */
                        bucket: "hour" | "day";
                        /** @description Every bucket of the window, empty ones too, each starting at a whole UTC hour or day */
                        buckets: {
                            block: number;
                            detect: number;
                            /** Format: date-time */
                            start: string;
                        }[];
                        /** Format: date-time */
                        since: string;
                        totals: {
                            block: number;
                            detect: number;
                        };
                        truncated: boolean;
                        /** Format: date-time */
                        until: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Clusters: {
        parameters: {
            query?: {
                cursor?: string;
                /** @description The most items a page holds. A page also ends once its items reach 1 MiB; follow nextCursor for the rest. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Cluster"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1Clusters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The EKS cluster ARN; checked with DescribeCluster */
                    arn?: string;
                    /**
                     * @description The kube_enforcer group that decides admission for the cluster
                     * @default default-ke
                     */
                    enforcerGroup?: string;
                    /** @description The EKS cluster name: letters, digits, ".", "_" and "-" */
                    name: string;
                    /** @description Also issue the node agents (the bridge that applies the compiled Tetragon policies and the forwarder that brings their events back): true for the defaults, or an object. A token of their own is issued for the cluster and authenticates them as the agent group; see docs/node-enforcement.md. */
                    nodeAgent?: boolean | {
                        /**
                         * @description The agent group whose policies the agents apply and as which they report
                         * @default default
                         */
                        enforcerGroup?: string;
                        /**
                         * @description The node-agent image, built and pushed from layers/node-agent/Dockerfile; the default is a placeholder nodes cannot pull
                         * @default localhost/vigil-node-agent:0.1.0
                         */
                        image?: string;
                        /**
                         * @description The namespace of the agents (a DNS-1123 label)
                         * @default vigil-system
                         */
                        namespace?: string;
                    };
                };
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        enforcerGroup: string;
                        /** @description YAML ValidatingWebhookConfiguration to apply to the cluster */
                        manifest: string;
                        name: string;
                        /** @description Only when nodeAgent was asked for. */
                        nodeAgent?: {
                            enforcerGroup: string;
                            image: string;
                            /** @description Multi-document YAML: Namespace, ServiceAccounts, the bridge ClusterRole and binding, the token Secret, the bridge Deployment and the forwarder DaemonSet */
                            manifest: string;
                            namespace: string;
                            /** @description YAML values for the Tetragon v1.7 Helm chart that the forwarder relies on */
                            tetragonValues: string;
                            /** @description The node-agent token, shown only here (it is also in the manifest’s Secret); only its hash is stored */
                            token: string;
                        };
                        version?: number;
                        warnings: string[];
                        /** @description Carries the webhook secret: shown only here */
                        webhookUrl: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1ClustersBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cluster"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteV1ClustersBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1ClustersBy_nameNodeAgentToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        enforcerGroup: string;
                        name: string;
                        nodeAgent: {
                            enforcerGroup: string;
                            image: string;
                            /** @description YAML of the token Secret alone (vigil-node-agent-token in the agents’ namespace): kubectl apply it, then restart the bridge Deployment and the forwarder DaemonSet (docs/node-enforcement.md) */
                            manifest: string;
                            namespace: string;
                            /** @description The new node-agent token, shown only here; only its hash is stored. The previous token stops working now: the bridge keeps the applied Tetragon objects and the forwarder its place in the export until they restart with the new Secret. */
                            token: string;
                        };
                        version?: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1ClustersBy_nameNodePolicies: {
        parameters: {
            query?: {
                group?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: string;
                        /** @description The agent enforcer group compiled for (query parameter group, default "default"). */
                        group: string;
                        /** @description cilium.io/v1alpha1 TracingPolicy and TracingPolicyNamespaced objects for Tetragon v1.7, labelled app.kubernetes.io/managed-by=vigil: sorted by kind, namespace and name. */
                        objects: Record<string, never>[];
                        report: {
                            cluster: string;
                            group: string;
                            /** @description Per compiled object: the policy, control, action (block, detect, record), whether the scope is widened, and the full Vigil scope to apply to its events. */
                            index: Record<string, never>[];
                            /** @description Per container or host policy: whether it applies here, its action, whether its scope is widened, and per control the fidelity (exact, approximate, impossible, admission) with reasons. */
                            policies: Record<string, never>[];
                        };
                        /** @description The configuration revision the objects were compiled from. */
                        revision: number;
                    };
                    "application/yaml": string;
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1ClustersBy_nameSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Cluster"] & {
                        /** @description YAML ValidatingWebhookConfiguration to apply to the cluster */
                        manifest: string;
                        warnings: string[];
                        /** @description Carries the new webhook secret: shown only here; the previous URL stops working */
                        webhookUrl: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Controls: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Control"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcerGroups: {
        parameters: {
            query?: {
                cursor?: string;
                /** @description The most items a page holds. A page also ends once its items reach 1 MiB; follow nextCursor for the rest. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["EnforcerGroup"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcerGroups: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnforcerGroup"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerGroup"] & {
                        /** @description The new group token, shown this once: only its hash is stored. */
                        token: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcerGroupsBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerGroup"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putV1EnforcerGroupsBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnforcerGroup"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerGroup"] & {
                        /** @description Clusters of the group whose manifests still carry the previous failMode, timeoutSeconds or exemptKubeSystem (absent when none), also when the body changes nothing: re-issue them with POST /v1/enforcer-groups/{name}/reissue. */
                        clustersToReissue?: string[];
                        warnings?: string[];
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteV1EnforcerGroupsBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    patchV1EnforcerGroupsBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/merge-patch+json": Record<string, never>;
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerGroup"] & {
                        /** @description Clusters of the group whose manifests still carry the previous failMode, timeoutSeconds or exemptKubeSystem (absent when none), also when the body changes nothing: re-issue them with POST /v1/enforcer-groups/{name}/reissue. */
                        clustersToReissue?: string[];
                        warnings?: string[];
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcerGroupsBy_nameReissue: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description One entry per re-issued cluster; every webhookUrl carries a new secret, shown only here. The previous URLs stop working. */
                        items: {
                            enforcerGroup: string;
                            /** @description YAML ValidatingWebhookConfiguration to apply to the cluster */
                            manifest: string;
                            name: string;
                            version?: number;
                            warnings?: string[];
                            webhookUrl: string;
                        }[];
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcerGroupsBy_nameRules: {
        parameters: {
            query: {
                account?: string;
                function: string;
                region?: string;
                runtime?: string;
                tags?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description A global bypass entry holds for the function: no rules. */
                        bypassed: boolean;
                        /** @constant */
                        format: "vigil-function-rules 1";
                        group: Record<string, never>;
                        /** @description The process rules exceed the native exec guard's bounds. */
                        guardOversize: boolean;
                        pollIntervalSeconds: number;
                        revision: number;
                        rules: {
                            accessKeyId?: string;
                            /** @enum {unknown} */
                            action: "process" | "network" | "honeypot";
                            allowedHosts?: string[];
                            allowedPorts?: number[];
                            applyOn?: ("environment" | "file")[];
                            /** @enum {unknown} */
                            control: "blockedExecutables" | "driftPrevention" | "blockAllProcesses" | "networkEgress" | "honeypot";
                            controlName: string;
                            id: number;
                            patterns?: string[];
                            policy: Record<string, never>;
                            secretAccessKey?: string;
                            /** @enum {unknown} */
                            status: "Block" | "Detect";
                        }[];
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcerGroupsBy_nameToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerGroup"] & {
                        /** @description The new group token, shown this once: the previous token stops working now; only the hash is stored. */
                        token: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Enforcers: {
        parameters: {
            query?: {
                cursor?: string;
                group?: string;
                /** @description The most items a page holds; follow nextCursor for the rest. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Enforcer"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcersBundle: {
        parameters: {
            query?: never;
            header: {
                /** @description The ETag of the last answer: 304 when nothing changed since. */
                "If-None-Match"?: string;
                "X-Enforcer-Id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The application scopes the shipped policies name, folded over the group the same way. */
                        applicationScopes: components["schemas"]["ApplicationScope"][];
                        group: Record<string, never>;
                        /** @description Only the policies that can apply to the group: of its types, enabled, with an enabled control, and with a scope not false for the group. Each scope is folded over what the group fixes (enforcer.group, attributes its workloads never carry): the formula keeps the variables still open, renumbered from v1. */
                        policies: components["schemas"]["Policy"][];
                        pollIntervalSeconds: number;
                        revision: number;
                        settings: Record<string, never>;
                    };
                };
            };
            /** @description Not modified since the ETag named in If-None-Match */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcersEvents: {
        parameters: {
            query?: never;
            header: {
                "X-Enforcer-Id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    events: components["schemas"]["EnforcerEvent"][];
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        accepted: number;
                        duplicates: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcersHeartbeat: {
        parameters: {
            query?: never;
            header: {
                "X-Enforcer-Id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcersNodePolicies: {
        parameters: {
            query: {
                cluster: string;
            };
            header: {
                /** @description The ETag of the last answer: 304 when nothing changed since. */
                "If-None-Match"?: string;
                "X-Enforcer-Id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cluster: string;
                        /** @description The token's agent enforcer group. */
                        group: string;
                        heartbeatIntervalSeconds: number;
                        /** @description cilium.io/v1alpha1 TracingPolicy and TracingPolicyNamespaced objects for Tetragon v1.7, labelled app.kubernetes.io/managed-by=vigil: the complete wanted set (managed objects not in it are to be deleted). */
                        objects: Record<string, never>[];
                        /** @description How often to poll this route (with If-None-Match). */
                        pollIntervalSeconds: number;
                        report: {
                            cluster: string;
                            group: string;
                            /** @description Per compiled object: the policy, control, action (block, detect, record), whether the scope is widened, and the full Vigil scope to apply to its events. */
                            index: Record<string, never>[];
                            /** @description Per container or host policy: whether it applies here, its action, whether its scope is widened, and per control the fidelity (exact, approximate, impossible, admission) with reasons. */
                            policies: Record<string, never>[];
                        };
                        /** @description The configuration revision the objects were compiled from. */
                        revision: number;
                    };
                };
            };
            /** @description Not modified since the ETag named in If-None-Match */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1EnforcersRegister: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnforcerRegistration"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        enforcerId: string;
                        group: string;
                        pollIntervalSeconds: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1EnforcersRules: {
        parameters: {
            query: {
                account?: string;
                function: string;
                region?: string;
                runtime?: string;
                tags?: string;
            };
            header: {
                /** @description The ETag of the last answer: 304 when nothing changed since. */
                "If-None-Match"?: string;
                "X-Enforcer-Id": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description A global bypass entry holds for the function: no rules. */
                        bypassed: boolean;
                        /** @constant */
                        format: "vigil-function-rules 1";
                        group: Record<string, never>;
                        /** @description The process rules exceed the native exec guard's bounds. */
                        guardOversize: boolean;
                        pollIntervalSeconds: number;
                        revision: number;
                        rules: {
                            accessKeyId?: string;
                            /** @enum {unknown} */
                            action: "process" | "network" | "honeypot";
                            allowedHosts?: string[];
                            allowedPorts?: number[];
                            applyOn?: ("environment" | "file")[];
                            /** @enum {unknown} */
                            control: "blockedExecutables" | "driftPrevention" | "blockAllProcesses" | "networkEgress" | "honeypot";
                            controlName: string;
                            id: number;
                            patterns?: string[];
                            policy: Record<string, never>;
                            secretAccessKey?: string;
                            /** @enum {unknown} */
                            status: "Block" | "Detect";
                        }[];
                    };
                };
            };
            /** @description Not modified since the ETag named in If-None-Match */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Export: {
        parameters: {
            query?: {
                /** @description The nextCursor of the previous page, unchanged; without it an export starts at the current revision. A cursor whose revision is no longer the current one answers 410. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExportDocument"] & {
                        /** @description Absent on the last page. Opaque; it pins the export's revision and names the last item sent. */
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1Import: {
        parameters: {
            query?: {
                dryRun?: string;
                mode?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExportDocument"] | components["schemas"]["CommercialDocument"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportAnswer"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1Imports: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * Format: date-time
                         * @description After this the upload answers 404 and is deleted.
                         */
                        expiresAt: string;
                        id: string;
                        /** @description The largest body of one part (as for POST /v1/import). */
                        maxPartBytes: number;
                        /** @description Parts are numbered 1 to maxParts. */
                        maxParts: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteV1ImportsBy_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1ImportsBy_idCommit: {
        parameters: {
            query?: {
                dryRun?: string;
                mode?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportAnswer"] & {
                        id: string;
                        parts: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putV1ImportsBy_idPartsBy_part: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                part: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExportDocument"] | components["schemas"]["CommercialDocument"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        bytes: number;
                        /** @enum {string} */
                        format: "vigil" | "commercial" | "commercial-bypass-list";
                        id: string;
                        /** @description Objects in the part: policies, scopes and settings, the product objects, or bypass entries. */
                        items: number;
                        part: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "getV1Openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1Policies: {
        parameters: {
            query?: {
                cursor?: string;
                enabled?: string;
                /** @description The most items a page holds. A page also ends once its items reach 1 MiB; follow nextCursor for the rest. */
                limit?: number;
                type?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Policy"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    postV1Policies: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Policy"] | ({
                    name: string;
                    template: string;
                } & {
                    [key: string]: unknown;
                });
            };
        };
        responses: {
            /** @description The resource already exists with exactly this content (a retried create): the stored resource */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1PoliciesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putV1PoliciesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Policy"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteV1PoliciesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    patchV1PoliciesBy_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/merge-patch+json": Record<string, never>;
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Policy"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1PoliciesBy_nameReadiness: {
        parameters: {
            query?: {
                days?: string;
            };
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description At most 20 values, most would-be blocks first */
                        byCommand: {
                            count: number;
                            value: string;
                        }[];
                        /** @description At most 20 values, most would-be blocks first */
                        byControl: {
                            count: number;
                            value: string;
                        }[];
                        /** @description At most 20 values, most would-be blocks first */
                        byUser: {
                            count: number;
                            value: string;
                        }[];
                        /** @description cluster/namespace/pod, function or host; at most 20, most first */
                        byWorkload: {
                            count: number;
                            value: string;
                        }[];
                        /**
                         * Format: date-time
                         * @description When the policy's current version was written
                         */
                        changedAt?: string;
                        days: number;
                        /** @enum {string} */
                        enforcementMode: "audit" | "enforce";
                        /** @description The pending or last scheduled switch, as on the policy */
                        enforcementModeChange?: unknown;
                        /** @description Would-be blocks under the policy's current version whose control, workload, user or command no event of an earlier version in the window had; each breakdown lists only the new values */
                        newSinceChange: {
                            /** @description At most 20 values, most would-be blocks first */
                            byCommand: {
                                count: number;
                                value: string;
                            }[];
                            /** @description At most 20 values, most would-be blocks first */
                            byControl: {
                                count: number;
                                value: string;
                            }[];
                            /** @description At most 20 values, most would-be blocks first */
                            byUser: {
                                count: number;
                                value: string;
                            }[];
                            /** @description cluster/namespace/pod, function or host; at most 20, most first */
                            byWorkload: {
                                count: number;
                                value: string;
                            }[];
                            /** @description Detect events enforce mode would have turned into Block */
                            wouldBlock: number;
                        };
                        policy: string;
                        policyVersion: number;
                        /** @description Detect events of record-only controls (always Detect, in enforce mode too) */
                        recordOnly: number;
                        /** Format: date-time */
                        since: string;
                        truncated: boolean;
                        /** Format: date-time */
                        until: string;
                        /** @description Detect events enforce mode would have turned into Block */
                        wouldBlock: number;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1PolicyTemplates: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["PolicyTemplate"][];
                        nextCursor?: string;
                    };
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1PolicyTemplatesBy_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyTemplate"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getV1SettingsEnforcer: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerSettings"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    putV1SettingsEnforcer: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnforcerSettings"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerSettings"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    patchV1SettingsEnforcer: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/merge-patch+json": Record<string, never>;
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnforcerSettings"];
                };
            };
            /** @description Error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
