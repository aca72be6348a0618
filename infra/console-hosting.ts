// Serves the web console in AWS: the built files in a private S3 bucket read only by one CloudFront
// distribution (origin access control), the console API under the same origin at `/v1/*`, and the console's
// security headers on every answer. docs/adr/0019 records why one origin, and why no SPA fallback.
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { nagGetAtt } from './nag.js';
import { buildConsoleSync, consoleContentSecurityPolicy } from '../console/build.js';

/** What the console reads at start (console/src/oauth.ts): absent in local mode, where it signs in with a token. */
export interface ConsoleConfig {
  /** Base URL of the admin API; empty: the console's own origin. */
  readonly apiBaseUrl: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly cognitoDomain: string;
  readonly clientId: string;
  /** The console's URL, registered as the app client's callback and sign-out URL. */
  readonly redirectUri: string;
}

export interface ConsoleHostingProps {
  /** Host name of the console API (`<id>.execute-api.<region>.amazonaws.com`), served at `/v1/*`. */
  readonly apiDomainName: string;
  /** The Cognito domain's origin, the one other origin the console's scripts may call (its token endpoint). */
  readonly cognitoDomainUrl: string;
  readonly removalPolicy: RemovalPolicy;
  /**
   * An AWS WAF web ACL (scope CLOUDFRONT, so created in us-east-1) for the distribution.
   * @default - none
   */
  readonly webAclArn?: string;
}

export class ConsoleHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  /** `https://<distribution domain>/`: the console's URL and its OAuth redirect URI. */
  readonly url: string;
  /** The upload of the built console (see deploy()). */
  deployment?: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Its content is rebuilt by every deployment, so a dev stack deletes it; the deployment empties it first.
      removalPolicy: props.removalPolicy,
    });

    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Vigil console: strict CSP (own scripts only; API on this origin; the Cognito token endpoint), no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy([props.cognitoDomainUrl]), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: { customHeaders: [{ header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true }] },
    });

    const apiOrigin = new origins.HttpOrigin(props.apiDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Vigil web console',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      // No errorResponses: the console routes in the fragment (#/policies), so only `/` is ever asked for, and
      // an error page rewritten to 200 would also turn the API's 401, 403 and 404 answers into the console page.
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Nothing of the API is cached; with caching disabled, the viewer's Authorization header reaches the
          // origin through the origin request policy (the Host header must stay API Gateway's own).
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.headers,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only the console build, written by the deployment alone and readable only by this distribution (origin access control); every data access goes through the console API, whose access logs name the caller.',
    });
    const distribution = this.distribution;
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        "Standard logging needs an ACL-enabled bucket; the requests that matter (/v1/*) are logged by the console API's access logs with the verified user, and the rest are the same three static files for everyone.",
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        "The distribution's default *.cloudfront.net certificate (a custom domain needs an ACM certificate in us-east-1, outside this region-agnostic stack); browsers negotiate TLS 1.2 or later with it, and HSTS keeps them on HTTPS.",
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Administrators may work from any country; every API call needs a Cognito token of a member of the admin group.',
    });
    if (!props.webAclArn)
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'A web ACL for CloudFront must be created in us-east-1 and costs a monthly fee: context vigil:consoleWebAclArn attaches one; without it, API Gateway throttles the console API and its JWT authorizer refuses unsigned calls before any code runs.',
      });
  }

  /** Uploads the console, built now with esbuild, and its config.json. */
  deploy(config: ConsoleConfig, logGroup: logs.ILogGroup): s3deploy.BucketDeployment {
    if (this.deployment) throw new Error('the console is deployed once');
    const assets = buildConsoleSync();
    const sources = [...assets].map(([path, asset]) =>
      s3deploy.Source.data(path === '/' ? 'index.html' : path.slice(1), asset.body.toString('utf8')),
    );
    sources.push(s3deploy.Source.jsonData('config.json', config));
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources,
      destinationBucket: this.bucket,
      // Files are not content-hashed by name, so browsers revalidate them, and CloudFront keeps an object that
      // says no-cache only for the cache policy's minimum TTL (1 s): a new build is served at once without an
      // invalidation, which would need cloudfront:CreateInvalidation on every distribution of the account.
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: true,
      retainOnDelete: false,
      logGroup,
      memoryLimit: 256,
    });
    acknowledgeDeploymentFunction(deployment, this.bucket);
    return (this.deployment = deployment);
  }
}

/**
 * CDK's deployment function (a singleton at the stack's root, run only by CloudFormation during deployments)
 * copies the assets from the CDK bootstrap bucket into the console bucket. Its grants are CDK's own.
 */
function acknowledgeDeploymentFunction(deployment: s3deploy.BucketDeployment, bucket: s3.Bucket): void {
  const handler = deployment.handlerRole.node.scope;
  if (!handler) throw new Error('the deployment role has no function');
  const acknowledgements: Record<string, string> = {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
      "CDK's deployment function writes its logs with the basic execution policy; it runs only during deployments.",
    'AwsSolutions-L1': 'CDK pins the runtime of its deployment function and moves it forward with aws-cdk-lib releases.',
    'AwsSolutions-IAM5[Action::s3:GetObject*]':
      'Reads the console assets: the CDK bootstrap asset bucket, and the console bucket to compare.',
    'AwsSolutions-IAM5[Action::s3:GetBucket*]': 'Reads the location and settings of the asset and console buckets only.',
    'AwsSolutions-IAM5[Action::s3:List*]': 'Lists the console bucket to prune files a new build no longer has.',
    'AwsSolutions-IAM5[Action::s3:DeleteObject*]': 'Prunes files of an earlier build from the console bucket only.',
    'AwsSolutions-IAM5[Action::s3:Abort*]': 'Aborts its own failed multi-part uploads to the console bucket only.',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]':
      "The CDK bootstrap bucket's objects, where the deployment reads the uploaded assets.",
    [`AwsSolutions-IAM5[Resource::${nagGetAtt(bucket, 'Arn')}/*]`]: "The console bucket's objects only.",
  };
  for (const [id, reason] of Object.entries(acknowledgements)) Validations.of(handler).acknowledge({ id, reason });
}
