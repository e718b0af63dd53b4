import { Form, Link } from "@remix-run/react";

/** The help centre's pages: the list with search, one article, and the "no such article" page. */

export type ArticleSummary = { slug: string; title: string; summary: string };
export type ArticleView = ArticleSummary & { html: string; related: ArticleSummary[] };

export function HelpSearch({ q = "" }: { q?: string }) {
  return (
    <Form method="get" action="/help" role="search" className="help-search">
      <div className="field">
        <label htmlFor="help-q">Search help articles</label>
        <input id="help-q" name="q" type="search" defaultValue={q} maxLength={200} autoComplete="off" />
      </div>
      <button type="submit" className="button">
        Search
      </button>
    </Form>
  );
}

function ArticleList({ articles }: { articles: ArticleSummary[] }) {
  return (
    <ul className="help-list">
      {articles.map((a) => (
        <li key={a.slug}>
          <Link to={`/help/${a.slug}`}>{a.title}</Link>
          {a.summary ? <p>{a.summary}</p> : null}
        </li>
      ))}
    </ul>
  );
}

const StillStuck = () => (
  <p>
    Still stuck? <Link to="/assisted-recovery">Ask our support team</Link>.
  </p>
);

export function HelpListPage(props: { articles: ArticleSummary[]; q: string; results: ArticleSummary[] | null }) {
  return (
    <>
      <h1>Help</h1>
      <p className="lead">Plain answers to the problems people meet when they can't get into their account.</p>
      <HelpSearch q={props.q} />
      {props.results ? (
        <section aria-labelledby="help-results">
          <h2 id="help-results">
            {props.results.length === 0
              ? `No articles match “${props.q}”`
              : `${props.results.length} article${props.results.length === 1 ? "" : "s"} match “${props.q}”`}
          </h2>
          {props.results.length === 0 ? (
            <p>
              Try fewer or other words, or <Link to="/help">see every article</Link>. Still stuck?{" "}
              <Link to="/assisted-recovery">Ask our support team</Link>.
            </p>
          ) : (
            <>
              <ArticleList articles={props.results} />
              <p>
                <Link to="/help">See every article</Link>
              </p>
            </>
          )}
        </section>
      ) : (
        <section aria-labelledby="help-all">
          <h2 id="help-all">All articles</h2>
          <ArticleList articles={props.articles} />
          <StillStuck />
        </section>
      )}
    </>
  );
}

export function HelpArticlePage({ article }: { article: ArticleView }) {
  return (
    <>
      <p className="hint">
        <Link to="/help">Help</Link>
      </p>
      <h1>{article.title}</h1>
      {article.summary ? <p className="lead">{article.summary}</p> : null}
      {/* Rendered from Markdown with raw HTML off and links restricted (app/help/articles.server.ts). */}
      <div className="help-article" dangerouslySetInnerHTML={{ __html: article.html }} />
      {article.related.length ? (
        <section aria-labelledby="help-related">
          <h2 id="help-related">Related articles</h2>
          <ArticleList articles={article.related} />
        </section>
      ) : null}
      <h2>Still stuck?</h2>
      <p>
        <Link to="/assisted-recovery">Ask our support team</Link>. They can check who you are and help you back in.
      </p>
    </>
  );
}

export function HelpNotFoundPage() {
  return (
    <>
      <h1>We couldn't find that help article</h1>
      <p>It may have moved. Search for what you need, or <Link to="/help">see every article</Link>.</p>
      <HelpSearch />
      <StillStuck />
    </>
  );
}
