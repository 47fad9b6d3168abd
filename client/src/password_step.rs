//! The password step as a trader may abandon it (issue 11): a slow login server never
//! holds the window. [`BrokerClient::login_unless`] gives up at once when told to, and
//! the broker's answer, if it still comes, is undone in the background — its ticket
//! cancelled (the push withdrawn from the phone) or its session logged out — so an
//! abandoned login leaves nothing behind.

use crate::{BrokerClient, Error};
use portcullis_api::{Channel, LoginStep};
use std::future::Future;

impl BrokerClient {
    /// The password step on `channel`, unless `abandoned` resolves first: then `None`
    /// at once, and the late answer is undone when it comes (best effort: a broker that
    /// cannot be reached lets the ticket or session expire by itself).
    pub async fn login_unless(
        &self,
        channel: Channel,
        username: String,
        password: String,
        abandoned: impl Future<Output = ()>,
    ) -> Result<Option<LoginStep>, Error> {
        let asking = self.clone();
        let mut answer =
            Box::pin(async move { asking.login_on(channel, &username, &password).await });
        tokio::select! {
            // A Cancel ready at the same moment as the answer wins: the trader said so.
            biased;
            () = abandoned => {
                let client = self.clone();
                tokio::spawn(async move { client.undo(answer.await).await });
                Ok(None)
            }
            answer = &mut answer => answer.map(Some),
        }
    }

    /// A password step's answer that came back after its Cancel, undone in the
    /// background.
    pub fn undo_later(&self, late: LoginStep) {
        let client = self.clone();
        tokio::spawn(async move { client.undo(Ok(late)).await });
    }

    /// An abandoned password step's late answer, undone.
    async fn undo(&self, late: Result<LoginStep, Error>) {
        let undone = match &late {
            Ok(LoginStep::Authenticated(new)) => self.logout(&new.token).await,
            Ok(LoginStep::SelectDevice(choice)) => self.cancel(&choice.ticket).await,
            Ok(LoginStep::SecondFactor(factor)) => self.cancel(&factor.ticket).await,
            // Nothing was started.
            Err(_) => Ok(()),
        };
        if let Err(e) = undone {
            tracing::warn!(code = %e.code, "an abandoned login's late answer was not undone");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::{answer_json, request};
    use tokio::net::TcpListener;
    use tokio::sync::{mpsc, oneshot};

    /// Issue 11: Cancel on a slow password step answers at once; the broker's late
    /// device choice is then cancelled, ticket and all.
    #[tokio::test]
    async fn issue11_an_abandoned_password_step_gives_up_at_once_and_its_late_ticket_is_cancelled()
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (asked, heard) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        let (seen, mut later) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            // The login: held until the test lets it answer.
            let (mut sock, _) = listener.accept().await.unwrap();
            let login = request(&mut sock).await.unwrap_or_default();
            assert!(login.starts_with("POST /v1/login "), "{login}");
            let _ = asked.send(());
            let _ = released.await;
            answer_json(
                &mut sock,
                r#"{"status":"select_device","ticket":"late-ticket","devices":[],"default_device_id":"DSCP-1"}"#,
            )
            .await;
            // What the client does next.
            let (mut sock, _) = listener.accept().await.unwrap();
            let next = request(&mut sock).await.unwrap_or_default();
            answer_json(&mut sock, r#"{"status":"cancelled"}"#).await;
            let _ = seen.send(next);
        });

        let client = BrokerClient::new(&url, None);
        let step = client
            .login_unless(Channel::Trading, "blake".into(), "secret".into(), async {
                let _ = heard.await;
            })
            .await
            .expect("no error");
        assert!(step.is_none(), "abandoned before the answer: {step:?}");

        release.send(()).unwrap();
        // A deadline, so a client that never undoes fails here rather than hanging.
        let next = tokio::time::timeout(std::time::Duration::from_secs(30), later.recv())
            .await
            .ok()
            .flatten()
            .expect("a request after the late answer");
        assert!(
            next.starts_with("POST /v1/login/cancel "),
            "the late login is cancelled: {next}"
        );
        assert!(next.contains("late-ticket"), "its own ticket: {next}");
    }
}
