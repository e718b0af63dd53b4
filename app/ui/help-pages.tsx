import { Form, Link } from "@remix-run/react";
import { Trans, useTranslation } from "react-i18next";
import { usePageLocale } from "./locale-date";

/** The help centre's pages: the list with search, one article, and the "no such article" page. */

/** `lang`: the language the title and summary are written in (English where a translation is missing). */
export type ArticleSummary = { slug: string; title: string; summary: string; lang?: string };
export type ArticleView = ArticleSummary & { html: string; related: ArticleSummary[] };

/** lang="en" on text that is in another language than the page (an English article standing in). */
function useLangOf() {
  const locale = usePageLocale();
  return (lang: string | undefined) => (lang && lang !== locale ? lang : undefined);
}

export function HelpSearch({ q = "" }: { q?: string }) {
  const { t } = useTranslation();
  return (
    <Form method="get" action="/help" role="search" className="help-search">
      <div className="field">
        <label htmlFor="help-q">{t("help:search.label")}</label>
        <input id="help-q" name="q" type="search" defaultValue={q} maxLength={200} autoComplete="off" />
      </div>
      <button type="submit" className="button">
        {t("help:search.submit")}
      </button>
    </Form>
  );
}

function ArticleList({ articles }: { articles: ArticleSummary[] }) {
  const langOf = useLangOf();
  return (
    <ul className="help-list">
      {articles.map((a) => (
        <li key={a.slug} lang={langOf(a.lang)}>
          <Link to={`/help/${a.slug}`}>{a.title}</Link>
          {a.summary ? <p>{a.summary}</p> : null}
        </li>
      ))}
    </ul>
  );
}

const askLink = { go: <Link to="/assisted-recovery" /> };

function StillStuck() {
  return (
    <p>
      <Trans i18nKey="help:stillStuckAsk" components={askLink} />
    </p>
  );
}

export function HelpListPage(props: { articles: ArticleSummary[]; q: string; results: ArticleSummary[] | null }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("help:list.title")}</h1>
      <p className="lead">{t("help:list.lead")}</p>
      <HelpSearch q={props.q} />
      {props.results ? (
        <section aria-labelledby="help-results">
          <h2 id="help-results">
            {props.results.length === 0 ? t("help:list.noMatch", { q: props.q }) : t("help:list.matches", { count: props.results.length, q: props.q })}
          </h2>
          {props.results.length === 0 ? (
            <p>
              <Trans i18nKey="help:list.tryOther" components={{ all: <Link to="/help" />, go: <Link to="/assisted-recovery" /> }} />
            </p>
          ) : (
            <>
              <ArticleList articles={props.results} />
              <p>
                <Link to="/help">{t("help:list.seeAll")}</Link>
              </p>
            </>
          )}
        </section>
      ) : (
        <section aria-labelledby="help-all">
          <h2 id="help-all">{t("help:list.all")}</h2>
          <ArticleList articles={props.articles} />
          <StillStuck />
        </section>
      )}
    </>
  );
}

export function HelpArticlePage({ article }: { article: ArticleView }) {
  const { t } = useTranslation();
  const langOf = useLangOf();
  const lang = langOf(article.lang);
  return (
    <>
      <p className="hint">
        <Link to="/help">{t("help:list.title")}</Link>
      </p>
      {lang ? <p className="hint">{t("help:article.onlyEnglish")}</p> : null}
      <h1 lang={lang}>{article.title}</h1>
      {article.summary ? (
        <p className="lead" lang={lang}>
          {article.summary}
        </p>
      ) : null}
      {/* Rendered from Markdown with raw HTML off and links restricted (app/help/articles.server.ts). */}
      <div className="help-article" lang={lang} dir={lang ? "ltr" : undefined} dangerouslySetInnerHTML={{ __html: article.html }} />
      {article.related.length ? (
        <section aria-labelledby="help-related">
          <h2 id="help-related">{t("help:article.related")}</h2>
          <ArticleList articles={article.related} />
        </section>
      ) : null}
      <h2>{t("help:article.stillStuck")}</h2>
      <p>
        <Trans i18nKey="help:article.ask" components={askLink} />
      </p>
    </>
  );
}

export function HelpNotFoundPage() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("help:notFound.title")}</h1>
      <p>
        <Trans i18nKey="help:notFound.text" components={{ all: <Link to="/help" /> }} />
      </p>
      <HelpSearch />
      <StillStuck />
    </>
  );
}
