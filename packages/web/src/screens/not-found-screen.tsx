import { Link } from 'wouter';
import { PageHeader } from '../components/shell.js';

/** A path the app has no screen for. */
export function NotFoundScreen() {
  return (
    <div className="stack stack--lg">
      <PageHeader title="Page not found" documentTitle="Page not found">
        <p className="page-header__lead">There is no page at this address.</p>
      </PageHeader>
      <p>
        <Link href="/" className="button button--primary">
          Shorten a link
        </Link>
      </p>
    </div>
  );
}
