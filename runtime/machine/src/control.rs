//! Control requests (control.md §1.2–§1.4, §3): start, stop, restart,
//! reload, status, list, emit and the environment table.
//!
//! Every request is answered exactly once, either in the step it arrives
//! (errors, `--no-wait`, queries) or when the instance or event it waits
//! for is done.

use crate::instance::{Blocked, RequestKind};
use crate::types::*;
use crate::{env, InstanceInfo, Machine, PendingReply, Spawner};

fn error(kind: ControlErrorKind, message: impl Into<String>) -> ControlError {
    ControlError::new(kind, message)
}

fn invalid_env() -> ControlError {
    error(ControlErrorKind::InvalidArgs, "Env must be KEY=VALUE pairs")
}

impl<S: Spawner> Machine<S> {
    pub(crate) fn request(&mut self, id: RequestId, request: Request) {
        let result = match request {
            Request::Start { target, env, wait } => {
                self.job_request(id, RequestKind::Start, &target, env, wait)
            }
            Request::Stop { target, env, wait } => {
                self.job_request(id, RequestKind::Stop, &target, env, wait)
            }
            Request::Restart { target, env, wait } => {
                self.job_request(id, RequestKind::Restart, &target, env, wait)
            }
            Request::Reload { target, env } => self.reload_signal(&target, env).map(Some),
            Request::Status { job, env } => self.status(&job, env).map(Some),
            Request::List => Ok(Some(Output::Status(self.list()))),
            Request::Emit { name, env, wait } => self.emit_request(id, name, env, wait),
            Request::GetEnv { scope, name } => self.get_env(&scope, &name).map(Some),
            Request::ListEnv { scope } => self.env_table(&scope).map(|e| Some(Output::Env(e))),
            Request::SetEnv {
                scope,
                vars,
                replace,
            } => self.set_env(&scope, vars, replace).map(Some),
            Request::UnsetEnv { scope, names } => self.unset_env(&scope, &names).map(Some),
            Request::ResetEnv { scope } => self.reset_env(&scope).map(Some),
        };
        match result {
            Ok(Some(output)) => self.reply(id, Ok(output)),
            Ok(None) => {}
            Err(e) => self.reply(id, Err(e)),
        }
    }

    fn class_named(&self, job: &str) -> Result<ClassId, ControlError> {
        if job.is_empty() {
            return Err(error(
                ControlErrorKind::InvalidArgs,
                "Name may not be empty string",
            ));
        }
        self.find_class(job)
            .ok_or_else(|| error(ControlErrorKind::UnknownJob, format!("Unknown job: {job}")))
    }

    /// Global table + class `env` + the request's `KEY=VALUE` list: what a
    /// class request's instance name expands against, and a start's
    /// environment (§9.2).
    fn request_env(&self, class: ClassId, env: &[String]) -> Vec<String> {
        let mut full = self.class_env(class);
        for entry in env {
            env::set(&mut full, entry.clone());
        }
        full
    }

    /// The instance a job request addresses, if it exists: the class's
    /// `instance` template expanded against the request's environment, or
    /// a named instance. For a driver that shows more than the status line
    /// (`upctl status --json`); a request that fails addresses none.
    pub fn addressed_instance(&self, target: &Target, env: &[String]) -> Option<InstanceInfo> {
        let (class, name) = match target {
            Target::Job(job) => {
                let class = self.find_class(job)?;
                let full = self.request_env(class, env);
                (class, self.instance_name(class, &full).ok()?)
            }
            Target::Instance { job, instance } => (self.find_class(job)?, instance.clone()),
        };
        self.instance(self.existing(class, &name)?)
    }

    /// The failure a `status` reply shows for a request's instance that
    /// does not exist (the class's last failure, if that instance had it),
    /// for a driver that shows it as more than a line (`--json`).
    pub fn addressed_failure(&self, target: &Target, env: &[String]) -> Option<&RunFailure> {
        let (job, name) = match target {
            Target::Job(job) => {
                let class = self.find_class(job)?;
                let full = self.request_env(class, env);
                (job, self.instance_name(class, &full).ok()?)
            }
            Target::Instance { job, instance } => (job, instance.clone()),
        };
        let class = self.find_class(job)?;
        if self.existing(class, &name).is_some() {
            return None;
        }
        self.failure_of(job, Some(&name))
    }

    /// Why the last run of the class registered as `job` failed, until an
    /// instance of it starts cleanly.
    pub fn last_failure(&self, job: &str) -> Option<&RunFailure> {
        self.failure_of(job, None)
    }

    /// The status line of a named instance (`status` from inside a job,
    /// which [`Request::Status`] cannot address), with the errors of the
    /// other instance-level requests.
    pub fn instance_status(&self, job: &str, instance: &str) -> Reply {
        let class = self.class_named(job)?;
        let iid = self.existing(class, instance).ok_or_else(|| {
            error(
                ControlErrorKind::UnknownInstance,
                format!("Unknown instance: {instance} of job {job}"),
            )
        })?;
        Ok(Output::Status(vec![self.status_line(iid)]))
    }

    /// The registered class of a name (see [`Machine::class_view`]).
    pub fn class_id(&self, name: &str) -> Option<ClassId> {
        self.find_class(name)
    }

    /// The instance name a class request selects: the `instance` template
    /// expanded against [`Self::request_env`].
    fn instance_name(&self, class: ClassId, full: &[String]) -> Result<String, ControlError> {
        let Some(c) = self.classes.get(&class) else {
            return Err(error(ControlErrorKind::UnknownJob, "Unknown job"));
        };
        upc_bundle::expand::try_expand(&c.instance_template, full).map_err(|e| {
            let mut message = e.to_string();
            if let Some(usage) = &c.usage {
                message.push_str(&format!("\nUsage: {usage}"));
            }
            error(ControlErrorKind::InvalidArgs, message)
        })
    }

    fn existing(&self, class: ClassId, name: &str) -> Option<InstanceId> {
        self.classes.get(&class)?.instances.get(name).copied()
    }

    fn unknown_instance(name: &str) -> ControlError {
        error(
            ControlErrorKind::UnknownInstance,
            format!("Unknown instance: {name}"),
        )
    }

    /// Start, stop or restart (class or instance level).
    fn job_request(
        &mut self,
        id: RequestId,
        kind: RequestKind,
        target: &Target,
        request_env: Vec<String>,
        wait: bool,
    ) -> Result<Option<Output>, ControlError> {
        if !env::all_valid(&request_env) {
            return Err(invalid_env());
        }
        // `full`: the class-level request's environment, `None` from
        // inside a job.
        let (class, name, wait, full) = match target {
            Target::Job(job) => {
                let class = self.class_named(job)?;
                let full = self.request_env(class, &request_env);
                let name = self.instance_name(class, &full)?;
                (class, name, wait, Some(full))
            }
            // From inside a job: never waits, keeps the environment.
            Target::Instance { job, instance } => {
                let class = self.class_named(job)?;
                self.existing(class, instance).ok_or_else(|| {
                    error(
                        ControlErrorKind::UnknownInstance,
                        format!("Unknown instance: {instance} of job {job}"),
                    )
                })?;
                (class, instance.clone(), false, None)
            }
        };
        let label = |name: &str| {
            let job = self.class_name(class);
            if name.is_empty() {
                job.to_owned()
            } else {
                format!("{job} ({name})")
            }
        };
        let iid = match kind {
            RequestKind::Start => {
                let iid = self.existing(class, &name);
                if iid
                    .and_then(|i| self.instances.get(&i))
                    .is_some_and(|i| i.goal == Goal::Start)
                {
                    return Err(error(
                        ControlErrorKind::AlreadyStarted,
                        format!("Job is already running: {}", label(&name)),
                    ));
                }
                iid.unwrap_or_else(|| self.find_or_create(class, &name))
            }
            RequestKind::Stop | RequestKind::Restart => {
                let iid = self
                    .existing(class, &name)
                    .ok_or_else(|| Self::unknown_instance(&name))?;
                if self
                    .instances
                    .get(&iid)
                    .is_some_and(|i| i.goal == Goal::Stop)
                {
                    return Err(error(
                        ControlErrorKind::AlreadyStopped,
                        format!("Job has already been stopped: {}", label(&name)),
                    ));
                }
                iid
            }
        };
        let class_level = full.is_some();
        let start_env = full.filter(|_| kind != RequestKind::Stop);
        if let Some(inst) = self.instances.get_mut(&iid) {
            match kind {
                RequestKind::Start => inst.start_env = start_env,
                RequestKind::Stop => {
                    inst.stop_env = if class_level { request_env } else { Vec::new() }
                }
                RequestKind::Restart => {
                    inst.start_env = start_env;
                    inst.stop_env.clear();
                }
            }
        }
        self.job_finished(iid, false);
        if wait {
            if let Some(inst) = self.instances.get_mut(&iid) {
                inst.blocking.push(Blocked::Request(id, kind));
            }
        } else {
            let job = self.class_name(class).to_owned();
            self.replies.push((
                id,
                PendingReply::Status {
                    job,
                    instance: name,
                },
            ));
        }
        let cause = Cause::Request(id);
        match kind {
            RequestKind::Start => self.change_goal(iid, Goal::Start, cause),
            RequestKind::Stop => self.change_goal(iid, Goal::Stop, cause),
            RequestKind::Restart => {
                self.change_goal(iid, Goal::Stop, cause.clone());
                self.change_goal(iid, Goal::Start, cause);
            }
        }
        Ok(None)
    }

    fn reload_signal(&mut self, target: &Target, env: Vec<String>) -> Result<Output, ControlError> {
        if !env::all_valid(&env) {
            return Err(invalid_env());
        }
        let (class, name) = match target {
            Target::Job(job) => {
                let class = self.class_named(job)?;
                (
                    class,
                    self.instance_name(class, &self.request_env(class, &env))?,
                )
            }
            Target::Instance { job, instance } => (self.class_named(job)?, instance.clone()),
        };
        let iid = self
            .existing(class, &name)
            .ok_or_else(|| Self::unknown_instance(&name))?;
        let signal = self.classes.get(&class).map_or(1, |c| c.reload_signal);
        let pid = self
            .instances
            .get(&iid)
            .and_then(|i| i.pid(ProcessKind::Main))
            .ok_or_else(|| {
                error(
                    ControlErrorKind::NotRunning,
                    format!("Job is not running: {}", self.class_name(class)),
                )
            })?;
        self.actions.push_back(Action::Signal {
            pid,
            signal,
            group: false,
        });
        Ok(Output::Done)
    }

    fn status(&self, job: &str, env: Vec<String>) -> Result<Output, ControlError> {
        if !env::all_valid(&env) {
            return Err(invalid_env());
        }
        let class = self.class_named(job)?;
        let name = self.instance_name(class, &self.request_env(class, &env))?;
        match self.existing(class, &name) {
            Some(iid) => Ok(Output::Status(vec![self.status_line(iid)])),
            None if env.is_empty() => Ok(Output::Status(vec![
                self.waiting_line(job, self.failure_of(job, Some(&name)))
            ])),
            None => Err(Self::unknown_instance(&name)),
        }
    }

    fn emit_request(
        &mut self,
        id: RequestId,
        name: String,
        event_env: Vec<String>,
        wait: bool,
    ) -> Result<Option<Output>, ControlError> {
        if name.is_empty() {
            return Err(error(
                ControlErrorKind::InvalidArgs,
                "Name may not be empty string",
            ));
        }
        if !env::all_valid(&event_env) {
            return Err(invalid_env());
        }
        let event = self.new_event(name, event_env, None);
        if !wait {
            return Ok(Some(Output::Done));
        }
        if let Some(e) = self.events.get_mut(&event) {
            e.waiters.push(crate::events::Waiter::Request(id));
        }
        Ok(None)
    }

    fn scope_instance(&self, scope: &EnvScope) -> Result<Option<InstanceId>, ControlError> {
        match scope {
            EnvScope::Global => Ok(None),
            EnvScope::Instance { job, instance } => {
                let class = self.class_named(job)?;
                self.existing(class, instance).map(Some).ok_or_else(|| {
                    error(
                        ControlErrorKind::UnknownInstance,
                        format!("Unknown instance: {instance} of job {job}"),
                    )
                })
            }
        }
    }

    fn env_table(&self, scope: &EnvScope) -> Result<Vec<String>, ControlError> {
        Ok(match self.scope_instance(scope)? {
            None => self.global_env.clone(),
            Some(iid) => self
                .instances
                .get(&iid)
                .map(|i| i.env.clone())
                .unwrap_or_default(),
        })
    }

    fn get_env(&self, scope: &EnvScope, name: &str) -> Result<Output, ControlError> {
        if name.is_empty() {
            return Err(error(
                ControlErrorKind::InvalidArgs,
                "Variable may not be empty string",
            ));
        }
        let table = self.env_table(scope)?;
        env::get(&table, name)
            .map(|v| Output::Value(v.to_owned()))
            .ok_or_else(|| {
                error(
                    ControlErrorKind::InvalidArgs,
                    format!("No such variable: {name}"),
                )
            })
    }

    /// PID 1 refuses every change to the job environment.
    fn may_modify(&self) -> Result<(), ControlError> {
        if self.config.session {
            Ok(())
        } else {
            Err(error(
                ControlErrorKind::PermissionDenied,
                "Not permissible to modify PID 1 job environment",
            ))
        }
    }

    /// Applies `f` to the scope's table; the global table's changes also
    /// reach every existing instance.
    fn modify_env(
        &mut self,
        scope: &EnvScope,
        f: impl Fn(&mut Vec<String>),
    ) -> Result<(), ControlError> {
        self.may_modify()?;
        match self.scope_instance(scope)? {
            None => {
                f(&mut self.global_env);
                for inst in self.instances.values_mut() {
                    f(&mut inst.env);
                }
            }
            Some(iid) => {
                if let Some(inst) = self.instances.get_mut(&iid) {
                    f(&mut inst.env);
                }
            }
        }
        Ok(())
    }

    fn set_env(
        &mut self,
        scope: &EnvScope,
        vars: Vec<String>,
        replace: bool,
    ) -> Result<Output, ControlError> {
        let mut entries = Vec::with_capacity(vars.len());
        for var in vars {
            let entry = if var.contains('=') {
                var
            } else {
                format!("{var}=")
            };
            if !env::is_name(env::key(&entry)) {
                return Err(error(
                    ControlErrorKind::InvalidArgs,
                    "Variable may not be empty string",
                ));
            }
            entries.push(entry);
        }
        self.modify_env(scope, |table| {
            for entry in &entries {
                if replace {
                    env::set(table, entry.clone());
                } else {
                    env::set_if_absent(table, entry.clone());
                }
            }
        })?;
        Ok(Output::Done)
    }

    fn unset_env(&mut self, scope: &EnvScope, names: &[String]) -> Result<Output, ControlError> {
        if names.iter().any(String::is_empty) {
            return Err(error(
                ControlErrorKind::InvalidArgs,
                "Variable may not be empty string",
            ));
        }
        self.may_modify()?;
        if self.env_table(scope)?.is_empty() {
            if let Some(name) = names.first() {
                return Err(error(
                    ControlErrorKind::InvalidArgs,
                    format!("No such variable: {name}"),
                ));
            }
        }
        self.modify_env(scope, |table| {
            for name in names {
                env::unset(table, name);
            }
        })?;
        Ok(Output::Done)
    }

    fn reset_env(&mut self, scope: &EnvScope) -> Result<Output, ControlError> {
        self.may_modify()?;
        match self.scope_instance(scope)? {
            // The global table goes back to its start; instances keep theirs.
            None => self.global_env = self.config.global_env.clone(),
            Some(iid) => {
                let class = self.instances.get(&iid).map(|i| i.class);
                if let Some(class) = class {
                    let fresh = self.class_env(class);
                    if let Some(inst) = self.instances.get_mut(&iid) {
                        inst.env = fresh;
                    }
                }
            }
        }
        Ok(Output::Done)
    }
}
