// Who may use the web console in AWS: a Cognito user pool with its hosted sign-in pages, one public app client
// for the console (authorization code with PKCE, no secret), and optionally a company identity provider
// (SAML or OIDC) federated into the pool. docs/adr/0019 records the choices.
import { Duration, SecretValue, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The Cognito group whose members the admin API accepts from the console (checked by the API handler). */
export const CONSOLE_ADMIN_GROUP = 'vigil-admins';

/** A company identity provider federated into the user pool (CDK context `vigil:consoleIdp` and friends). */
export type ConsoleIdentityProvider =
  | {
      readonly type: 'saml';
      /** The provider's name in Cognito, shown on the sign-in page. */
      readonly name: string;
      /** Where Cognito reads the IdP's SAML metadata document. */
      readonly metadataUrl: string;
    }
  | {
      readonly type: 'oidc';
      readonly name: string;
      /** The IdP's issuer URL (Cognito discovers its endpoints from `/.well-known/openid-configuration`). */
      readonly issuerUrl: string;
      readonly clientId: string;
      /**
       * Name (or ARN) of a Secrets Manager secret holding the client secret as plain text. The template carries
       * only a dynamic reference: the secret never appears in context values, the template or the assembly.
       */
      readonly clientSecretName: string;
    };

export interface ConsoleSignInProps {
  /** Prefix of the hosted domain `https://<prefix>.auth.<region>.amazoncognito.com` (may be a token). */
  readonly domainPrefix: string;
  /** The console's URL, the only callback and sign-out URL of the app client (may be a token). */
  readonly consoleUrl: string;
  readonly identityProvider?: ConsoleIdentityProvider;
  /** Kept with the stack's data, or deleted with a dev stack. */
  readonly removalPolicy: RemovalPolicy;
}

/** Lifetimes of the console's tokens: short, because the browser holds them and nothing can recall a JWT. */
export const CONSOLE_TOKEN_VALIDITY = {
  access: Duration.minutes(30),
  id: Duration.minutes(30),
  // Cognito's minimum; the console never keeps the refresh token it is handed (console/src/oauth.ts).
  refresh: Duration.minutes(60),
} as const;

/** The origin of a Cognito domain's hosted pages and OAuth endpoints, as CDK's `UserPoolDomain.baseUrl()` forms it. */
export function cognitoDomainUrl(scope: Construct, domainPrefix: string): string {
  return `https://${domainPrefix}.auth.${Stack.of(scope).region}.amazoncognito.com`;
}

export class ConsoleSignIn extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  readonly adminGroup: cognito.CfnUserPoolGroup;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: the authorize, token and logout endpoints' origin. */
  readonly domainUrl: string;
  /** What the JWT authorizer accepts as `iss`. */
  readonly issuerUrl: string;

  constructor(scope: Construct, id: string, props: ConsoleSignInProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      // Administrators of a security product are invited, never self-registered.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: false, mutable: true } },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Every user of the pool can change Vigil's enforcement: a second factor, an authenticator app only (SMS
      // can be redirected, and would need an SNS role). Cognito's sign-in pages enrol the app at first sign-in.
      // Federated users bring their IdP's own factors.
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // Threat protection (compromised credentials, risky sign-ins blocked) needs the Plus plan; its price per
      // monthly active user is negligible for a handful of administrators.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your Vigil console account',
        emailBody:
          'An administrator created your Vigil console account. User name: {username}. Temporary password: {####}. ' +
          'You will choose a new password and set up an authenticator app when you first sign in.',
      },
      removalPolicy: props.removalPolicy,
    });

    const identityProviders: cognito.UserPoolClientIdentityProvider[] = [cognito.UserPoolClientIdentityProvider.COGNITO];
    const federated = props.identityProvider && this.federate(props.identityProvider);
    if (federated) identityProviders.push(cognito.UserPoolClientIdentityProvider.custom(federated.providerName));

    this.client = this.userPool.addClient('ConsoleClient', {
      // A browser cannot keep a secret: authorization code with PKCE (the console sends S256 challenges).
      generateSecret: false,
      // Only the hosted pages sign users in; no password or SRP flow is open to scripts calling the pool's API.
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      supportedIdentityProviders: identityProviders,
      accessTokenValidity: CONSOLE_TOKEN_VALIDITY.access,
      idTokenValidity: CONSOLE_TOKEN_VALIDITY.id,
      refreshTokenValidity: CONSOLE_TOKEN_VALIDITY.refresh,
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    // CDK leaves ExplicitAuthFlows out when no flow is chosen, and Cognito then opens SRP and custom auth to
    // anyone holding the client id. Refresh is the one flow every client must allow.
    (this.client.node.defaultChild as cognito.CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.domainUrl = this.domain.baseUrl();
    this.issuerUrl = this.userPool.userPoolProviderUrl;

    this.adminGroup = new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: CONSOLE_ADMIN_GROUP,
      description: 'May use the Vigil console: the admin API accepts console tokens only of members of this group',
    });
  }

  private federate(idp: ConsoleIdentityProvider): cognito.UserPoolIdentityProviderSaml | cognito.UserPoolIdentityProviderOidc {
    // Federated users land in the pool on their first sign-in, but the API accepts them only once an
    // administrator adds them to the group: a whole company directory does not become Vigil's administrators.
    const attributeMapping: cognito.AttributeMapping = { email: cognito.ProviderAttribute.other('email') };
    if (idp.type === 'saml')
      return new cognito.UserPoolIdentityProviderSaml(this, 'SamlIdp', {
        userPool: this.userPool,
        name: idp.name,
        metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(idp.metadataUrl),
        attributeMapping: { email: cognito.ProviderAttribute.other('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress') },
      });
    return new cognito.UserPoolIdentityProviderOidc(this, 'OidcIdp', {
      userPool: this.userPool,
      name: idp.name,
      issuerUrl: idp.issuerUrl,
      clientId: idp.clientId,
      // A dynamic reference ({{resolve:secretsmanager:…}}) that CloudFormation resolves at deployment.
      clientSecret: SecretValue.secretsManager(idp.clientSecretName).unsafeUnwrap(),
      scopes: ['openid', 'email'],
      attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
      attributeMapping,
    });
  }
}
